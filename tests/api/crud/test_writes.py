"""Writes: create / update / delete with their answers, soft and hard delete, tenancy and organization
scope, the routes a declaration offers, the detail route, optimistic locking, and undo."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from api.crud import Body, Dialect
from api.db import sessionmaker
from api.errors import BadRequest
from api.modules.auth.models import RoleAcl, UserRole
from tests.api.crud.gadgets import Gadget, gadgets, tags
from tests.api.crud.helpers import (
    GADGETS,
    UNDO,
    Kit,
    action_logs,
    events,
    gadget_count,
    make,
    names,
    on_platform,
    problem,
    stored,
)

LOCK = "x-om-ext-optimistic-lock-expected-updated-at"
TAGS = "/api/crudkit/tags"


async def test_create_update_delete(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    r = await me.post(GADGETS, json={"name": "Anvil", "quantity": 2, "price": "19.99", "madeOn": "2024-01-15",
                                     "seenAt": "2024-05-01T12:00:00+02:00", "isActive": False})
    assert r.status_code == 201 and set(r.json()) == {"id"}
    gadget_id = r.json()["id"]
    op = json.loads(r.headers["x-om-operation"])
    assert op["resourceKind"] == "crudkit.gadget" and op["resourceId"] == gadget_id and op["undoToken"]
    assert op["commandId"] == "crudkit.gadget.create" and op["actionLabel"] == "Create gadget"
    row = await stored(Gadget, gadget_id)
    assert (row.name, row.quantity, row.price, str(row.made_on), row.is_active) == \
        ("Anvil", 2, Decimal("19.99"), "2024-01-15", False)
    assert row.seen_at.isoformat() == "2024-05-01T10:00:00+00:00"
    assert (row.tenant_id, row.organization_id) == (me.tenant_id, me.org_id)

    r = await me.put(GADGETS, json={"id": gadget_id, "quantity": 3})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert json.loads(r.headers["x-om-operation"])["commandId"] == "crudkit.gadget.update"
    row = await stored(Gadget, gadget_id)
    assert (row.name, row.quantity) == ("Anvil", 3), "keys left out keep their values"

    r = await me.delete(GADGETS, params={"id": gadget_id})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert json.loads(r.headers["x-om-operation"])["commandId"] == "crudkit.gadget.delete"
    assert [e.name for e in await events(me.tenant_id)] == [
        "crudkit.gadget.created", "crudkit.gadget.updated", "crudkit.gadget.deleted"]
    logs = await action_logs(me.tenant_id)
    assert [(log.command_id, log.resource_id) for log in logs] == [
        ("crudkit.gadget.create", gadget_id), ("crudkit.gadget.update", gadget_id),
        ("crudkit.gadget.delete", gadget_id)]
    assert logs[1].changes_json == {"quantity": {"from": 2, "to": 3}}


async def test_bad_bodies_are_400_and_store_nothing(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    gadget_id = await make(me, name="keep")
    for body in [{}, {"name": ""}, {"name": "x", "quantity": "lots"}, {"name": "x", "madeOn": "someday"}]:
        r = await me.post(GADGETS, json=body)
        assert problem(r)["error"] == "Invalid input" and r.json()["details"], body
    assert problem(await me.post(GADGETS, content=b"{nope", headers={"content-type": "application/json"})) == \
        {"error": "Invalid JSON body"}
    for body in [{"name": "no id"}, {"id": gadget_id, "name": ""}, {"id": gadget_id, "quantity": "x"}]:
        assert problem(await me.put(GADGETS, json=body))["error"] == "Invalid input", body
    assert problem(await me.delete(GADGETS)) == {"error": "Gadget id is required"}
    assert problem(await me.delete(GADGETS, json={"id": 5})) == {"error": "Gadget id is required"}
    assert await gadget_count(me.tenant_id) == 1
    assert (await stored(Gadget, gadget_id)).name == "keep"


async def test_unknown_ids_are_404(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    assert problem(await me.put(GADGETS, json={"id": "nope", "name": "x"}), 404) == {"error": "Gadget not found"}
    assert problem(await me.delete(GADGETS, params={"id": "nope"}), 404) == {"error": "Gadget not found"}


async def test_features_are_required(kit: Kit) -> None:
    kit.serve(gadgets)
    viewer = await kit.user(["crudkit.gadgets.view"])
    gadget_id = await make(await kit.user())
    assert (await viewer.get(GADGETS)).status_code == 200
    for r in [await viewer.post(GADGETS, json={"name": "x"}), await viewer.put(GADGETS, json={"id": gadget_id}),
              await viewer.delete(GADGETS, params={"id": gadget_id})]:
        assert problem(r, 403) == {"error": "Forbidden", "requiredFeatures": ["crudkit.gadgets.manage"]}
    assert problem(await (await kit.user([])).get(GADGETS), 403)["requiredFeatures"] == ["crudkit.gadgets.view"]
    assert problem(await kit.client.get(GADGETS), 401) == {"error": "Unauthorized"}


async def test_soft_delete_and_with_deleted(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    gone = await make(me, name="gone")
    await make(me, name="kept")
    assert (await me.delete(GADGETS, json={"id": gone})).json() == {"ok": True}
    assert await names(me) == ["kept"]
    assert await names(me, withDeleted="true") == ["gone", "kept"]
    assert await names(me, withDeleted="false") == ["kept"]
    item = (await me.get(GADGETS, params={"withDeleted": "1", "id": gone})).json()["items"][0]
    assert item["deletedAt"]
    assert (await stored(Gadget, gone)).deleted_at is not None
    assert problem(await me.delete(GADGETS, params={"id": gone}), 404) == {"error": "Gadget not found"}
    assert problem(await me.put(GADGETS, json={"id": gone, "name": "back"}), 404) == {"error": "Gadget not found"}


async def test_hard_delete(kit: Kit) -> None:
    kit.serve(gadgets.but(soft_delete=False))
    me = await kit.user()
    gone = await make(me, name="gone")
    assert (await me.delete(GADGETS, params={"id": gone})).json() == {"ok": True}
    assert await stored(Gadget, gone) is None
    assert await names(me, withDeleted="true") == []
    log = (await action_logs(me.tenant_id))[-1]
    assert log.snapshot_before is not None and log.snapshot_before["name"] == "gone"
    assert log.snapshot_after is None
    assert (await events(me.tenant_id))[-1].payload["name"] == "gone"


async def test_other_tenants_never_see_update_or_delete(kit: Kit) -> None:
    kit.serve(gadgets.but(detail=True))
    me = await kit.user()
    stranger = await kit.stranger()
    mine = await make(me, name="mine")
    assert (await stranger.get(GADGETS)).json()["total"] == 0
    assert (await stranger.get(GADGETS, params={"id": mine, "withDeleted": "true"})).json()["total"] == 0
    assert problem(await stranger.get(f"{GADGETS}/{mine}"), 404) == {"error": "Gadget not found"}
    assert problem(await stranger.put(GADGETS, json={"id": mine, "name": "theirs"}), 404)
    assert problem(await stranger.delete(GADGETS, params={"id": mine}), 404)
    row = await stored(Gadget, mine)
    assert (row.name, row.deleted_at) == ("mine", None)


async def test_organization_scope(kit: Kit) -> None:
    kit.serve(gadgets)
    root = await kit.user()
    branch = await kit.world.org("Branch")
    sibling = await kit.world.org("Sibling")
    local = await kit.user(org_id=branch)
    await make(root, name="at root")
    r = await root.post(GADGETS, json={"name": "in branch", "organizationId": branch})
    assert (await stored(Gadget, r.json()["id"])).organization_id == branch
    assert await make(local, name="by local")
    assert await names(root) == ["at root", "by local", "in branch"]
    assert await names(local) == ["by local", "in branch"]
    root_only = (await root.get(GADGETS, params={"name": "at root"})).json()["items"][0]["id"]
    assert problem(await local.put(GADGETS, json={"id": root_only, "name": "x"}), 404)
    assert problem(await local.delete(GADGETS, params={"id": root_only}), 404)
    assert problem(await local.post(GADGETS, json={"name": "x", "organizationId": sibling}), 403) == \
        {"error": "Organization is outside your scope"}
    stranger = await kit.stranger()
    assert problem(await stranger.post(GADGETS, json={"name": "x", "organizationId": branch}), 403)


async def test_tenant_scope_ignores_organizations(kit: Kit) -> None:
    kit.serve(gadgets.but(scope="tenant"))
    root = await kit.user()
    local = await kit.user(org_id=await kit.world.org("Branch"))
    gadget_id = await make(root, name="at root")
    assert await names(local) == ["at root"]
    assert (await stored(Gadget, gadget_id)).organization_id is None
    assert (await local.put(GADGETS, json={"id": gadget_id, "name": "renamed"})).status_code == 200


async def test_operations_limit_the_routes(kit: Kit) -> None:
    kit.serve(gadgets.but(operations=frozenset({"list"})),
              gadgets.but(path="/crudkit/drop-box", operations=frozenset({"create"})))
    me = await kit.user()
    assert (await me.get(GADGETS)).status_code == 200
    for r in [await me.post(GADGETS, json={"name": "x"}), await me.put(GADGETS, json={"id": "x"}),
              await me.delete(GADGETS, params={"id": "x"})]:
        assert problem(r, 405) == {"error": "Method not allowed"}
    assert (await me.post("/api/crudkit/drop-box", json={"name": "x"})).status_code == 201
    assert problem(await me.get("/api/crudkit/drop-box"), 405)
    assert problem(await me.get(f"{GADGETS}/x"), 404) == {"error": "Not found"}


async def test_detail_route(kit: Kit) -> None:
    kit.serve(gadgets.but(detail=True))
    me = await kit.user()
    gadget_id = await make(me, name="Anvil", price="1.50")
    r = await me.get(f"{GADGETS}/{gadget_id}")
    assert r.status_code == 200
    assert r.json() == (await me.get(GADGETS, params={"id": gadget_id})).json()["items"][0]
    assert r.json()["price"] == "1.50" and "pinHash" not in r.json()
    assert problem(await me.get(f"{GADGETS}/not-a-uuid")) == {"error": "Invalid gadget id"}
    assert problem(await me.get(f"{GADGETS}/00000000-0000-4000-8000-000000000000"), 404) == \
        {"error": "Gadget not found"}
    await me.delete(GADGETS, params={"id": gadget_id})
    assert problem(await me.get(f"{GADGETS}/{gadget_id}"), 404)


async def test_declared_answers_and_delete_id(kit: Kit) -> None:
    kit.serve(gadgets.but(updated_body={"success": True}, deleted_body={"success": True}, delete_id_param="gadgetId",
                          dialect=Dialect(invalid_delete_id=True)))
    me = await kit.user()
    gadget_id = await make(me)
    assert (await me.put(GADGETS, json={"id": gadget_id, "name": "y"})).json() == {"success": True}
    assert problem(await me.delete(GADGETS, params={"id": gadget_id})) == {"error": "Gadget id is required"}
    assert problem(await me.delete(GADGETS, params={"gadgetId": "nope"})) == {"error": "Invalid gadget id"}
    assert (await me.delete(GADGETS, params={"gadgetId": gadget_id})).json() == {"success": True}


async def test_a_delete_without_a_body_answers_204_and_offers_its_undo(kit: Kit) -> None:
    kit.serve(gadgets.but(deleted_body=None))
    me = await kit.user()
    gadget_id = await make(me)
    r = await me.delete(GADGETS, params={"id": gadget_id})
    assert r.status_code == 204 and r.content == b""
    assert r.headers.get("x-om-operation")
    assert (await me.get(GADGETS, params={"id": gadget_id})).json()["items"] == []
    delete = kit.app.openapi()["paths"]["/api/crudkit/gadgets"]["delete"]["responses"]
    assert "204" in delete and "200" not in delete and "content" not in delete["204"]


async def test_null_for_a_field_that_always_holds_a_value_is_a_400(kit: Kit) -> None:
    kit.serve(gadgets, tags)
    me = await kit.user()
    gadget_id = await make(me, name="Anvil")
    r = await me.put(GADGETS, json={"id": gadget_id, "name": None, "note": None})
    assert problem(r) == {"error": "Invalid input",
                          "details": [{"path": ["name"], "message": "Required", "code": "invalid_type"}]}
    assert (await stored(Gadget, gadget_id)).name == "Anvil"
    # A hook may derive such a value: a tag's `slug: null` comes from its label again; a null label is refused.
    red = (await me.post(TAGS, json={"label": "Red Tag", "slug": "rt"})).json()["id"]
    assert (await me.put(TAGS, json={"id": red, "slug": None})).status_code == 200
    assert [t["slug"] for t in (await me.get(TAGS)).json()["items"]] == ["red-tag"]
    r = await me.put(TAGS, json={"id": red, "slug": None, "label": None})
    assert problem(r)["details"] == [{"path": ["label"], "message": "Required", "code": "invalid_type"}]


async def test_writes_by_path_id(kit: Kit) -> None:
    kit.serve(gadgets.but(operations=frozenset({"list", "create"}), by_id=frozenset({"update", "delete"}),
                          deleted_body=None))
    me = await kit.user()
    gadget_id = await make(me, name="Anvil", quantity=2)
    # Only by path: the collection's own PUT and DELETE are not offered.
    assert (await me.put(GADGETS, json={"id": gadget_id, "quantity": 5})).status_code == 405
    r = await me.put(f"{GADGETS}/{gadget_id}", json={"quantity": 3, "id": "ignored: the path names the gadget"})
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["name"], r.json()["quantity"]) == (gadget_id, "Anvil", 3)
    assert json.loads(r.headers["x-om-operation"])["commandId"] == "crudkit.gadget.update"
    assert problem(await me.put(f"{GADGETS}/{gadget_id}", json={"name": ""}))
    assert problem(await me.put(f"{GADGETS}/{gadget_id}", json=["not", "an", "object"]))
    assert problem(await me.put(f"{GADGETS}/nope", json={"quantity": 1})) == {"error": "Invalid gadget id"}
    assert (await stored(Gadget, gadget_id)).quantity == 3
    stranger = await kit.stranger()
    assert problem(await stranger.put(f"{GADGETS}/{gadget_id}", json={"quantity": 9}), 404)
    assert problem(await stranger.delete(f"{GADGETS}/{gadget_id}"), 404)
    reader = await kit.user(["crudkit.gadgets.view"])
    assert problem(await reader.put(f"{GADGETS}/{gadget_id}", json={"quantity": 9}), 403)
    assert problem(await reader.delete(f"{GADGETS}/{gadget_id}"), 403)
    r = await me.delete(f"{GADGETS}/{gadget_id}")
    assert r.status_code == 204 and r.headers.get("x-om-operation")
    assert (await stored(Gadget, gadget_id)).deleted_at is not None
    doc = kit.app.openapi()
    put = doc["paths"]["/api/crudkit/gadgets/{id}"]["put"]
    body_ref = put["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "id" not in doc["components"]["schemas"][body_ref]["properties"]
    assert "quantity" in put["responses"]["200"]["content"]["application/json"]["schema"]["properties"]


def _parse(raw: Any, partial: bool) -> dict[str, Any]:
    if not isinstance(raw, dict) or (not partial and not isinstance(raw.get("name"), str)):
        raise BadRequest("Validation failed: name: Required")
    return {k: v for k, v in raw.items() if k in ("id", "name", "quantity", "isActive")}


async def test_custom_body_parser(kit: Kit) -> None:
    body = Body(_parse, {"name": "string"}, missing_id="Gadget id is a must")
    kit.serve(gadgets.but(create_schema=body, update_schema=body))
    me = await kit.user()
    r = await me.post(GADGETS, json={"name": "Anvil", "isActive": False, "pinHash": "x", "tenantId": "x"})
    assert r.status_code == 201, r.text
    row = await stored(Gadget, r.json()["id"])
    assert (row.name, row.is_active, row.pin_hash, row.tenant_id) == ("Anvil", False, None, me.tenant_id)
    assert problem(await me.post(GADGETS, json={"quantity": 1})) == {"error": "Validation failed: name: Required"}
    assert problem(await me.post(GADGETS, content=b"")) == {"error": "Invalid JSON body"}
    assert problem(await me.put(GADGETS, json={"quantity": 4})) == {"error": "Gadget id is a must"}
    assert (await me.put(GADGETS, json={"id": row.id, "quantity": 4})).json() == {"ok": True}
    assert (await stored(Gadget, row.id)).quantity == 4


async def test_managed_columns_never_come_from_the_body(kit: Kit) -> None:
    kit.serve(gadgets.but(create_schema=Body(lambda raw, _: raw), update_schema=Body(lambda raw, _: raw)))
    me = await kit.user()
    stranger = await kit.stranger()
    r = await me.post(GADGETS, json={"name": "x", "tenantId": stranger.tenant_id, "deletedAt": "2024-01-01",
                                     "createdAt": "2000-01-01T00:00:00Z", "pinHash": "forged"})
    row = await stored(Gadget, r.json()["id"])
    assert (row.tenant_id, row.deleted_at, row.pin_hash) == (me.tenant_id, None, None)
    assert row.created_at.year > 2000
    await me.put(GADGETS, json={"id": row.id, "tenantId": stranger.tenant_id, "organizationId": "x"})
    row = await stored(Gadget, row.id)
    assert (row.tenant_id, row.organization_id) == (me.tenant_id, me.org_id)


# --- optimistic locking -------------------------------------------------------------------------------

async def test_optimistic_lock(kit: Kit) -> None:
    kit.serve(gadgets.but(lock=True))
    me = await kit.user()
    gadget_id = await make(me, name="v1")
    read = (await me.get(GADGETS, params={"id": gadget_id})).json()["items"][0]["updatedAt"]
    assert (await me.put(GADGETS, json={"id": gadget_id, "name": "v2"}, headers={LOCK: read})).status_code == 200
    current = (await me.get(GADGETS, params={"id": gadget_id})).json()["items"][0]["updatedAt"]
    assert current != read

    r = await me.put(GADGETS, json={"id": gadget_id, "name": "v3"}, headers={LOCK: read})
    body = problem(r, 409)
    assert set(body) == {"error", "code", "currentUpdatedAt", "expectedUpdatedAt"}
    assert body["error"] == "record_modified" and body["code"] == "optimistic_lock_conflict"
    assert body["currentUpdatedAt"].endswith("Z") and body["expectedUpdatedAt"].endswith("Z")
    assert body["currentUpdatedAt"][:23] == current.replace("+00:00", "")[:23]
    assert body["expectedUpdatedAt"][:23] == read.replace("+00:00", "")[:23]
    assert problem(await me.delete(GADGETS, params={"id": gadget_id}, headers={LOCK: read}), 409)
    assert (await stored(Gadget, gadget_id)).name == "v2"

    for header in [{}, {LOCK: "not a timestamp"}, {LOCK: ""}]:
        r = await me.put(GADGETS, json={"id": gadget_id, "name": "unchecked"}, headers=header)
        assert r.status_code == 200, header
    current = (await me.get(GADGETS, params={"id": gadget_id})).json()["items"][0]["updatedAt"]
    assert (await me.delete(GADGETS, params={"id": gadget_id}, headers={LOCK: current})).status_code == 200


async def test_no_lock_unless_declared(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    gadget_id = await make(me)
    r = await me.put(GADGETS, json={"id": gadget_id, "name": "x"}, headers={LOCK: "2000-01-01T00:00:00.000Z"})
    assert r.status_code == 200


# --- undo -----------------------------------------------------------------------------------------------

async def _undo(kit: Kit, token: str, user: Any) -> dict[str, Any]:
    return await on_platform(kit, user, UNDO, {"undoToken": token})


@pytest.mark.parametrize("soft_delete", [True, False], ids=["soft", "hard"])
async def test_undo_puts_a_deleted_row_back(kit: Kit, soft_delete: bool) -> None:
    kit.serve(gadgets.but(soft_delete=soft_delete))
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    gadget_id = await make(me, name="Anvil", price="2.50", madeOn="2024-01-15")
    before = (await me.get(GADGETS, params={"id": gadget_id})).json()["items"][0]
    r = await me.delete(GADGETS, params={"id": gadget_id})
    assert await names(me) == []
    await _undo(kit, json.loads(r.headers["x-om-operation"])["undoToken"], me)
    after = (await me.get(GADGETS, params={"id": gadget_id})).json()["items"][0]
    assert {k: v for k, v in after.items() if k != "updatedAt"} == {k: v for k, v in before.items() if k != "updatedAt"}
    assert (await events(me.tenant_id))[-1].name == "crudkit.gadget.created"


async def test_undo_an_update(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    gadget_id = await make(me, name="v1", quantity=1)
    r = await me.put(GADGETS, json={"id": gadget_id, "name": "v2", "quantity": 2})
    await _undo(kit, json.loads(r.headers["x-om-operation"])["undoToken"], me)
    row = await stored(Gadget, gadget_id)
    assert (row.name, row.quantity) == ("v1", 1)


async def test_undo_needs_the_resource_feature(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user(["crudkit.*", "audit_logs.*"])
    gadget_id = await make(me)
    r = await me.delete(GADGETS, params={"id": gadget_id})
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    async with sessionmaker()() as s:
        acl = (await s.execute(select(RoleAcl).join(UserRole, UserRole.role_id == RoleAcl.role_id)
                               .where(UserRole.user_id == me.user_id))).scalars().one()
        acl.features_json = ["audit_logs.*", "crudkit.gadgets.view"]
        await s.commit()
    r = await kit.platform.post(UNDO, json={"undoToken": token}, headers={"Authorization": f"Bearer {me.token}"})
    assert problem(r, 403) == {"error": "Forbidden", "requiredFeatures": ["crudkit.gadgets.manage"]}
    assert (await stored(Gadget, gadget_id)).deleted_at is not None


async def test_all_organizations_view_writes_into_the_callers_organizations(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    branch = await kit.world.org("Branch")
    everywhere = {"x-om-selected-org": "__all__"}
    assert (await me.get(GADGETS, headers=everywhere)).status_code == 200
    r = await me.post(GADGETS, json={"name": "in branch", "organizationId": branch}, headers=everywhere)
    assert (await stored(Gadget, r.json()["id"])).organization_id == branch


async def test_all_organizations_view_refuses_a_foreign_organization(kit: Kit) -> None:
    kit.serve(gadgets)
    me = await kit.user()
    stranger = await kit.stranger()
    everywhere = {"x-om-selected-org": "__all__"}
    for foreign in (stranger.org_id, "no-such-organization"):
        r = await me.post(GADGETS, json={"name": "misplaced", "organizationId": foreign}, headers=everywhere)
        assert r.status_code in (400, 403), r.text
    assert await gadget_count(me.tenant_id) == 0
