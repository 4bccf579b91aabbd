"""The screens' helpers: dictionary entries, picker options and the grid configuration."""

from __future__ import annotations

from tests.api.modules.shipments.helpers import ALL, company
from tests.fixtures import World


async def test_dictionary_entries(world: World) -> None:
    me = await world.user(ALL)
    r = await me.post("/api/dictionaries", json={"key": "carriers", "name": "Carriers"})
    assert r.status_code == 201, r.text
    did = r.json()["id"]
    for value, label in (("msk", "Maersk"), ("msc", "Mediterranean"), ("one", "Ocean Network Express")):
        assert (await me.post(f"/api/dictionaries/{did}/entries", json={"value": value, "label": label})) \
            .status_code == 201
    items = (await me.get("/api/shipments/dictionaries/carriers")).json()["items"]
    assert [i["label"] for i in items] == ["Maersk", "Mediterranean", "Ocean Network Express"]
    assert set(items[0]) == {"id", "value", "label", "color", "icon"}
    assert [i["value"] for i in (await me.get("/api/shipments/dictionaries/carriers",
                                              params={"search": "ms"})).json()["items"]] == ["msk", "msc"]
    assert len((await me.get("/api/shipments/dictionaries/carriers", params={"limit": 1})).json()["items"]) == 1
    r = await me.get("/api/shipments/dictionaries/nope")
    assert r.status_code == 404 and r.json()["error"] == "Dictionary not found"
    assert (await me.get("/api/shipments/dictionaries/carriers", params={"limit": "lots"})).status_code == 400
    other = await World(world.client).user(ALL)
    assert (await other.get("/api/shipments/dictionaries/carriers")).status_code == 404


async def test_picker_options(world: World) -> None:
    me = await world.user(ALL)
    await company(me, "Acme Freight")
    await company(me, "Blue Logistics")
    r = await me.post("/api/customers/people", json={"firstName": "Ada", "lastName": "Lovelace"})
    assert r.status_code == 201
    companies = (await me.get("/api/shipments/entities/company")).json()["items"]
    assert [c["displayName"] for c in companies] == ["Acme Freight", "Blue Logistics"]
    assert set(companies[0]) == {"id", "displayName", "primaryEmail", "status"}
    assert [c["displayName"] for c in (await me.get("/api/shipments/entities/company",
                                                    params={"search": "blue"})).json()["items"]] == ["Blue Logistics"]
    people = (await me.get("/api/shipments/entities/person")).json()["items"]
    assert [p["displayName"] for p in people] == ["Ada Lovelace"]
    users = (await me.get("/api/shipments/entities/user", params={"search": me.email})).json()["items"]
    assert users == [{"id": me.user_id, "name": me.email.split("@")[0], "email": me.email}]
    assert (await me.get("/api/shipments/entities/vessel")).status_code == 400
    other = await World(world.client).user(ALL)
    assert (await other.get("/api/shipments/entities/company")).json()["items"] == []
    assert me.user_id not in {u["id"] for u in (await other.get("/api/shipments/entities/user")).json()["items"]}


async def test_table_config(world: World) -> None:
    me = await world.user(["shipments.shipments.view"])
    r = await me.get("/api/shipments/table-config")
    assert r.status_code == 200, r.text
    body = r.json()
    columns = {c["data"]: c for c in body["columns"]}
    assert body["meta"]["entity"] == "shipment" and body["meta"]["totalColumns"] == len(body["columns"])
    assert columns["status"]["type"] == "dropdown" and "PRE_ARRIVAL" in columns["status"]["source"]
    assert columns["status"]["renderer"] == "StatusRenderer"
    assert columns["eta"]["type"] == "date" and columns["weight"]["type"] == "numeric"
    assert columns["createdAt"]["readOnly"] is True
    assert not {"id", "tenantId", "clientId", "assignedToId", "createdById"} & set(columns)
