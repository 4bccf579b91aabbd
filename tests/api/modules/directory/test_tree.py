"""The tree layout is pure: placed nodes, order, paths and cycle detection on plain data."""

from __future__ import annotations

from dataclasses import dataclass

from api.modules.directory.tree import has_cycle, layout


@dataclass
class Org:
    id: str
    name: str
    parent_id: str | None = None
    is_active: bool = True


def test_layout_places_every_node_in_display_order() -> None:
    orgs = [Org("r", "Root"), Org("b", "beta", "r"), Org("a", "Alpha", "r"), Org("c", "Child", "a"),
            Org("x", "Other root")]
    placed = layout(orgs)
    assert [p.id for p in placed] == ["x", "r", "a", "c", "b"]
    by_id = {p.id: p for p in placed}
    assert by_id["r"].child_ids == ["a", "b"] and by_id["r"].descendant_ids == ["a", "c", "b"]
    assert by_id["c"].ancestor_ids == ["r", "a"] and by_id["c"].depth == 2 and by_id["c"].root_id == "r"
    assert by_id["c"].tree_path == "r/a/c" and by_id["c"].path_label == "Root / Alpha / Child"
    assert by_id["x"].depth == 0 and by_id["x"].root_id == "x" and by_id["x"].ancestor_ids == []


def test_missing_parents_and_cycles_become_roots() -> None:
    placed = {p.id: p for p in layout([Org("a", "A", "gone"), Org("b", "B", "c"), Org("c", "C", "b"),
                                       Org("s", "Self", "s")])}
    assert placed["a"].parent_id is None and placed["a"].depth == 0
    assert placed["s"].parent_id is None
    # The cycle is broken at its first member by name; every node is still placed exactly once.
    assert placed["b"].parent_id is None and placed["c"].parent_id == "b" and placed["b"].descendant_ids == ["c"]


def test_has_cycle() -> None:
    assert not has_cycle({})
    assert not has_cycle({"a": None, "b": "a", "c": "b", "d": "missing"})
    assert has_cycle({"a": "a"})
    assert has_cycle({"a": "b", "b": "a"})
    assert has_cycle({"r": None, "a": "c", "b": "a", "c": "b", "x": "a"})
