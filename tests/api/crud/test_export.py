"""List export: `format=csv|json|xml|markdown` answers a download holding exactly the list's items, one page
or (`exportScope=full`) every page."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.api.crud.gadgets import gadgets
from tests.api.crud.helpers import GADGETS, Kit, make, problem, seed
from tests.fixtures import Caller

MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "xml": "application/xml",
         "markdown": "text/markdown; charset=utf-8"}
EXTENSION = {"csv": "csv", "json": "json", "xml": "xml", "markdown": "md"}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(fmt: str, text: str) -> list[dict[str, Any]]:
    """An export read back: JSON as it is, the other formats as text cells."""
    if fmt == "json":
        rows: list[dict[str, Any]] = json.loads(text)
        return rows
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    if fmt == "xml":
        root = ElementTree.fromstring(text)
        assert root.tag == "crudkit_gadget"
        return [{child.tag: child.text or "" for child in item} for item in root]
    header, rule, *lines = text.splitlines()
    assert set(rule) == {"|", "-"}

    def cells(line: str) -> list[str]:
        inner = line.removeprefix("| ").removesuffix(" |")
        return [c.replace("\\|", "|").replace("\\\\", "\\") for c in re.split(r"(?<!\\) \| ", inner)]

    keys = cells(header)
    return [dict(zip(keys, cells(line), strict=True)) for line in lines]


def _as_cells(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{k: _cell(v) for k, v in item.items()} for item in items]


async def _five(kit: Kit) -> Caller:
    kit.serve(gadgets)
    me = await kit.user()
    await seed(me, *({"name": name, "quantity": n, "price": Decimal(f"{n}.50"), "is_active": n % 2 == 0,
                      "note": "pipe | and \\ backslash" if n == 1 else None}
                     for n, name in enumerate(["Anvil", "Bolt", "Clamp", "Drill", "Easel"])))
    return me


@pytest.mark.parametrize("fmt", ["csv", "json", "xml", "markdown"])
async def test_an_export_holds_the_page_the_list_shows(kit: Kit, fmt: str) -> None:
    me = await _five(kit)
    params = {"pageSize": "2", "page": "1", "sortField": "quantity", "sortDir": "desc"}
    items = (await me.get(GADGETS, params=params)).json()["items"]
    r = await me.get(GADGETS, params={**params, "format": fmt})
    assert r.status_code == 200
    assert r.headers["content-type"] == MEDIA[fmt]
    assert r.headers["content-disposition"] == f'attachment; filename="crudkit_gadget.{EXTENSION[fmt]}"'
    expected = items if fmt == "json" else _as_cells(items)
    assert _rows(fmt, r.text) == expected
    assert [row["name"] for row in _rows(fmt, r.text)] == ["Easel", "Drill"]


@pytest.mark.parametrize("fmt", ["csv", "json", "xml", "markdown"])
async def test_a_full_export_holds_every_page(kit: Kit, fmt: str) -> None:
    me = await _five(kit)
    items = (await me.get(GADGETS, params={"pageSize": "5"})).json()["items"]
    r = await me.get(GADGETS, params={"pageSize": "2", "page": "2", "format": fmt, "exportScope": "full"})
    assert _rows(fmt, r.text) == (items if fmt == "json" else _as_cells(items))


async def test_full_export_spellings_filters_and_scope(kit: Kit) -> None:
    me = await _five(kit)
    for scope in [{"exportScope": "all"}, {"export_scope": "FULL"}, {"full": "true"}]:
        r = await me.get(GADGETS, params={"pageSize": "1", "format": "json", "isActive": "true", **scope})
        assert [i["name"] for i in r.json()] == ["Anvil", "Clamp", "Easel"], scope
    stranger = await kit.stranger()
    assert (await stranger.get(GADGETS, params={"format": "json", "exportScope": "full"})).json() == []


async def test_bad_format_is_400(kit: Kit) -> None:
    me = await _five(kit)
    assert problem(await me.get(GADGETS, params={"format": "pdf"})) == {
        "error": "Invalid input",
        "details": [{"path": ["format"], "message": "Expected one of csv, json, xml, markdown"}]}
    assert problem(await me.get(GADGETS, params={"format": "csv", "quantity": "x"}))["details"][0]["path"] == \
        ["quantity"]


async def test_not_exportable_lists_ignore_the_format(kit: Kit) -> None:
    kit.serve(gadgets.but(exportable=False))
    me = await kit.user()
    await make(me)
    r = await me.get(GADGETS, params={"format": "pdf"})
    assert r.status_code == 200 and r.json()["total"] == 1


@pytest.mark.parametrize("fmt", ["csv", "markdown"])
async def test_an_empty_export_still_has_its_header(kit: Kit, fmt: str) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    r = await me.get(GADGETS, params={"format": fmt})
    assert r.status_code == 200
    header = r.text.splitlines()[0]
    assert "id" in header and "name" in header, r.text
