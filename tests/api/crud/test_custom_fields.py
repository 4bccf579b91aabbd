"""Custom fields as a kit capability, on the throwaway gadgets: shipped definitions, `customFields`
and `cf_<key>` bodies, validation with precise details and nothing stored, `cf_<key>` items,
filters, sort and export."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ConfigDict

from api.crud import CustomFields, FieldDef, custom_fields
from api.db import get_engine
from tests.api.crud.gadgets import GadgetCreate, GadgetUpdate, gadgets
from tests.api.crud.helpers import GADGETS, Kit

FIELDS = CustomFields("crudkit:gadget", shipped=(
    FieldDef("color", "select", {"options": ["red", "blue"]}),
    FieldDef("weight", "float"),
    FieldDef("serial", "text", {"required": True}),
    FieldDef("labels", "text", {"multi": True}),
    FieldDef("due", "date"),
))


class Create(GadgetCreate):
    model_config = ConfigDict(extra="allow")


class Update(GadgetUpdate):
    model_config = ConfigDict(extra="allow")


def serve(kit: Kit) -> None:
    kit.serve(gadgets.but(custom_fields=FIELDS, create_schema=Create, update_schema=Update))


async def test_values_round_trip_filter_sort_and_export(kit: Kit) -> None:
    serve(kit)
    me = await kit.user()
    made: list[str] = []
    for name, custom in [("a", {"color": "red", "weight": 2.5, "serial": "S1", "labels": ["x", "y"]}),
                         ("b", {"color": "blue", "weight": 1, "serial": "S2"}),
                         ("c", {"serial": "S3", "due": "2024-05-01"})]:
        body: dict[str, Any] = {"name": name, "customFields": custom} if name != "b" else \
            {"name": name, **{f"cf_{k}": v for k, v in custom.items()}}
        r = await me.post(GADGETS, json=body)
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    items = (await me.get(GADGETS, params={"sortField": "cf_weight", "sortDir": "desc"})).json()["items"]
    assert [(i["name"], i["cf_weight"], i["cf_color"], i["cf_labels"]) for i in items] == [
        ("a", 2.5, "red", ["x", "y"]), ("b", 1.0, "blue", []), ("c", None, None, [])]
    assert items[2]["cf_due"] == "2024-05-01"
    names = lambda r: [i["name"] for i in r.json()["items"]]  # noqa: E731
    assert names(await me.get(GADGETS, params={"cf_color": "blue"})) == ["b"]
    assert names(await me.get(GADGETS, params={"cf_labels": "y"})) == ["a"]
    assert sorted(names(await me.get(GADGETS, params={"cf_colorIn": "red,blue"}))) == ["a", "b"]
    assert names(await me.get(GADGETS, params={"cf_weight": "1"})) == ["b"]
    assert (await me.get(GADGETS, params={"cf_weight": "heavy"})).status_code == 400
    # Update changes only the given keys; null clears.
    r = await me.put(GADGETS, json={"id": made[0], "cf_color": None, "customFields": {"weight": 3}})
    assert r.status_code == 200
    item = (await me.get(GADGETS, params={"id": made[0]})).json()["items"][0]
    assert (item["cf_color"], item["cf_weight"], item["cf_serial"]) == (None, 3.0, "S1")
    export = await me.get(GADGETS, params={"format": "csv", "sortField": "name"})
    assert "cf_serial" in export.text.splitlines()[0] and "S2" in export.text


async def test_sqlite_indexes_the_fields_lists_filter_by_up_to_a_bound_per_table(
        kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_engine()
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's GIN index serves every key")
    shades = CustomFields("crudkit:gadget", shipped=tuple(FieldDef(f"shade_{x}", "text") for x in "abc"))
    kit.serve(gadgets.but(custom_fields=shades, create_schema=Create, update_schema=Update))
    me = await kit.user()
    for name, shade in (("dark", "black"), ("light", "white")):
        body = {"name": name, **{f"cf_shade_{x}": shade for x in "abc"}}
        assert (await me.post(GADGETS, json=body)).status_code == 201

    async def field_indexes() -> set[str]:
        async with engine.connect() as conn:
            return set((await conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'crudkit_gadgets' "
                "AND name GLOB 'ix_crudkit_gadgets_cf_*'")).scalars())

    # Other tests' filters may have indexed other fields of the table already: room for two more.
    monkeypatch.setattr(custom_fields, "MAX_FIELD_INDEXES", len(await field_indexes()) + 2)
    before = await field_indexes()
    for x in "abc":
        r = await me.get(GADGETS, params={f"cf_shade_{x}": "white"})
        assert [i["name"] for i in r.json()["items"]] == ["light"], r.text  # the same answer, indexed or not
    assert await field_indexes() - before == {"ix_crudkit_gadgets_cf_shade_a", "ix_crudkit_gadgets_cf_shade_b"}


async def test_invalid_values_are_400_with_details_and_store_nothing(kit: Kit) -> None:
    serve(kit)
    me = await kit.user()
    cases = [({"cf_color": "green", "cf_serial": "s"}, {"path": ["cf_color"], "message": "Expected one of: red, blue"}),
             ({"cf_serial": "s", "cf_weight": "x"}, {"path": ["cf_weight"], "message": "Expected a number"}),
             ({"cf_serial": "s", "cf_size": 1}, {"path": ["cf_size"], "message": "Unknown custom field"}),
             ({"cf_color": "red"}, {"path": ["cf_serial"], "message": "Required"}),
             ({"cf_serial": "s", "cf_due": "soon"}, {"path": ["cf_due"], "message": "Expected an ISO date"}),
             ({"cf_serial": ["a", "b"]}, {"path": ["cf_serial"], "message": "Expected a single value"})]
    for body, detail in cases:
        r = await me.post(GADGETS, json={"name": "bad", **body})
        assert r.status_code == 400 and r.json() == {"error": "Invalid input", "details": [detail]}, r.text
    assert (await me.post(GADGETS, json={"name": "bad", "customFields": 5})).status_code == 400
    assert (await me.get(GADGETS)).json()["total"] == 0
    ok = (await me.post(GADGETS, json={"name": "ok", "cf_serial": "s"})).json()["id"]
    r = await me.put(GADGETS, json={"id": ok, "name": "renamed", "cf_serial": ""})
    assert r.status_code == 400 and r.json()["details"] == [{"path": ["cf_serial"], "message": "Required"}]
    item = (await me.get(GADGETS)).json()["items"][0]
    assert (item["name"], item["cf_serial"]) == ("ok", "s")


def test_every_collection_with_custom_fields_keeps_them_on_its_rows() -> None:
    """The kit stores values in the row's `custom_values` document (api.db.CustomValuesMixin): a module
    that declares custom fields on a model without it would fail on its first write."""
    from api.manifest import modules

    missing = [f"{m.id}: {r.path} ({r.model.__name__})" for m in modules() for r in m.resources
               if r.custom is not None and "custom_values" not in r.model.__table__.c]
    assert missing == [], "mix api.db.CustomValuesMixin into these models (and migrate): " + ", ".join(missing)
