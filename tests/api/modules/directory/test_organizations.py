"""Organizations: the tree kept on every write (parents, children, moves, cycles), the three list
views, refusals, tenancy, audit and events."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from api import audit
from api.db import sessionmaker
from api.modules.audit_logs.models import ActionLog
from api.modules.directory.models import Organization, Tenant
from api.outbox_models import OutboxEvent
from tests.fixtures import Caller, World

ORGS = "/api/directory/organizations"
MANAGE = ["directory.organizations.view", "directory.organizations.manage"]


async def stored(org_id: str) -> Organization:
    async with sessionmaker()() as s:
        org = await s.get(Organization, org_id)
        assert org is not None
        return org


async def create(me: Caller, name: str, **extra: Any) -> str:
    r = await me.post(ORGS, json={"name": name, **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def tree_state(tenant_id: str) -> list[tuple[str, str | None, int, list[str], list[str], list[str], bool]]:
    async with sessionmaker()() as s:
        rows = (await s.execute(select(Organization).where(Organization.tenant_id == tenant_id)
                                .order_by(Organization.id))).scalars().all()
        return [(o.name, o.parent_id, o.depth, o.ancestor_ids, o.child_ids, o.descendant_ids, o.deleted_at is None)
                for o in rows]


async def test_create_child_updates_both_ends_of_the_tree(world: World) -> None:
    me = await world.user(MANAGE)
    root = world.org_id
    r = await me.post(ORGS, json={"name": "Sales", "parentId": root})
    assert r.status_code == 201 and set(r.json()) == {"id"}
    op = json.loads(r.headers["x-om-operation"])
    sales = r.json()["id"]
    assert op["resourceKind"] == "directory.organization" and op["resourceId"] == sales and op["undoToken"]
    emea = await create(me, "EMEA", parentId=sales)

    parent, child, grandchild = await stored(root), await stored(sales), await stored(emea)
    assert parent.child_ids == [sales] and parent.descendant_ids == [sales, emea]
    assert child.parent_id == root and child.ancestor_ids == [root] and child.depth == 1
    assert child.root_id == root and child.tree_path == f"{root}/{sales}"
    assert child.child_ids == [emea] and child.descendant_ids == [emea]
    assert grandchild.ancestor_ids == [root, sales] and grandchild.depth == 2
    assert grandchild.tree_path == f"{root}/{sales}/{emea}" and grandchild.tenant_id == me.tenant_id
    # Without a parent a new organization is a root of its own.
    loose = await stored(await create(me, "Loose"))
    assert loose.parent_id is None and loose.depth == 0 and loose.root_id == loose.id and loose.tree_path == loose.id


async def test_move_subtree(world: World) -> None:
    me = await world.user(MANAGE)
    root = world.org_id
    a = await create(me, "A", parentId=root)
    b = await create(me, "B", parentId=a)
    c = await create(me, "C", parentId=b)
    d = await create(me, "D", parentId=root)
    r = await me.put(ORGS, json={"id": b, "parentId": d})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await stored(a)).child_ids == [] and (await stored(a)).descendant_ids == []
    assert (await stored(d)).child_ids == [b] and (await stored(d)).descendant_ids == [b, c]
    moved, below = await stored(b), await stored(c)
    assert moved.ancestor_ids == [root, d] and moved.depth == 2 and moved.tree_path == f"{root}/{d}/{b}"
    assert below.ancestor_ids == [root, d, b] and below.depth == 3 and below.tree_path == f"{root}/{d}/{b}/{c}"
    assert (await stored(root)).descendant_ids == [a, d, b, c]
    # `parentId: null` makes a root; omitting it leaves the parent alone.
    assert (await me.put(ORGS, json={"id": b, "name": "B2"})).status_code == 200
    assert (await stored(b)).parent_id == d and (await stored(b)).name == "B2"
    assert (await me.put(ORGS, json={"id": b, "parentId": None})).status_code == 200
    top = await stored(b)
    assert top.parent_id is None and top.depth == 0 and top.root_id == b and top.descendant_ids == [c]
    assert (await stored(c)).ancestor_ids == [b] and (await stored(c)).root_id == b


async def test_child_ids_reparent_on_create_and_update(world: World) -> None:
    me = await world.user(MANAGE)
    root = world.org_id
    x = await create(me, "X", parentId=root)
    y = await create(me, "Y", parentId=root)
    group = await create(me, "Group", parentId=root, childIds=[x, y])
    assert (await stored(group)).child_ids == [x, y]
    assert (await stored(x)).ancestor_ids == [root, group] and (await stored(root)).child_ids == [group]
    # A child list replaces the children: the ones left out become roots.
    assert (await me.put(ORGS, json={"id": group, "childIds": [y]})).status_code == 200
    assert (await stored(group)).child_ids == [y]
    assert (await stored(x)).parent_id is None and (await stored(x)).depth == 0


async def test_cycles_are_refused_and_change_nothing(world: World) -> None:
    me = await world.user(MANAGE)
    root = world.org_id
    a = await create(me, "A", parentId=root)
    b = await create(me, "B", parentId=a)
    c = await create(me, "C", parentId=b)
    before = await tree_state(me.tenant_id)
    for body in [{"id": a, "parentId": c}, {"id": a, "parentId": a}, {"id": b, "childIds": [a]},
                 {"id": c, "childIds": [root]}, {"id": b, "childIds": [b]}]:
        r = await me.put(ORGS, json=body)
        assert r.status_code == 400, (body, r.text)
        assert "cycle" in r.json()["error"]
    r = await me.post(ORGS, json={"name": "N", "parentId": c, "childIds": [a]})
    assert r.status_code == 400 and "cycle" in r.json()["error"]
    assert await tree_state(me.tenant_id) == before


async def test_unknown_parent_or_children_are_400(world: World) -> None:
    me = await world.user(MANAGE)
    before = await tree_state(me.tenant_id)
    r = await me.post(ORGS, json={"name": "N", "parentId": "no-such-org"})
    assert r.status_code == 400 and r.json() == {"error": "Parent not found"}
    r = await me.post(ORGS, json={"name": "N", "childIds": ["no-such-org"]})
    assert r.status_code == 400 and r.json() == {"error": "Invalid child assignment"}
    r = await me.put(ORGS, json={"id": world.org_id, "parentId": "no-such-org"})
    assert r.status_code == 400
    assert await tree_state(me.tenant_id) == before


async def test_options_view(world: World) -> None:
    me = await world.user(MANAGE)
    root = world.org_id
    b = await create(me, "bravo", parentId=root)
    a = await create(me, "Alpha", parentId=b)
    off = await create(me, "Charlie", parentId=root, isActive=False)
    r = await me.get(ORGS)
    assert r.status_code == 200 and set(r.json()) == {"items"}
    items = r.json()["items"]
    assert [i["name"] for i in items] == ["Alpha", "bravo", "Root"]
    async with sessionmaker()() as s:
        tenant = await s.get(Tenant, me.tenant_id)
        assert tenant is not None
        tenant_name = tenant.name
    assert items[0] == {"id": a, "name": "Alpha", "parentId": b, "parentName": "bravo", "tenantId": me.tenant_id,
                        "tenantName": tenant_name, "isActive": True, "depth": 2, "rootId": root,
                        "treePath": f"{root}/{b}/{a}"}
    everything = (await me.get(ORGS, params={"includeInactive": "true"})).json()["items"]
    assert [i["name"] for i in everything] == ["Alpha", "bravo", "Charlie", "Root"]
    assert [i["id"] for i in (await me.get(ORGS, params={"status": "inactive"})).json()["items"]] == [off]
    assert len((await me.get(ORGS, params={"status": "all"})).json()["items"]) == 4
    assert [i["id"] for i in (await me.get(ORGS, params={"ids": f"{a},{off}", "status": "all"})).json()["items"]] \
        == [a, off]
    # Search matches the name or the path, so a match brings its subtree along.
    assert [i["id"] for i in (await me.get(ORGS, params={"search": "BRAV"})).json()["items"]] == [a, b]
    assert [i["id"] for i in (await me.get(ORGS, params={"search": "alp"})).json()["items"]] == [a]


async def test_manage_view_pages_in_tree_order(world: World) -> None:
    me = await world.user(MANAGE)
    root = world.org_id
    b = await create(me, "B", parentId=root)
    a = await create(me, "A", parentId=b)
    await create(me, "C", parentId=root, isActive=False)
    r = await me.get(ORGS, params={"view": "manage", "pageSize": 2})
    body = r.json()
    assert r.status_code == 200 and set(body) == {"items", "total", "page", "pageSize", "totalPages"}
    assert (body["total"], body["page"], body["pageSize"], body["totalPages"]) == (4, 1, 2, 2)
    assert [i["name"] for i in body["items"]] == ["Root", "B"]
    item = body["items"][1]
    assert set(item) == {"id", "name", "tenantId", "tenantName", "parentId", "parentName", "depth", "rootId",
                         "treePath", "pathLabel", "ancestorIds", "childIds", "descendantIds", "childrenCount",
                         "descendantsCount", "isActive", "createdAt", "updatedAt"}
    assert (item["id"], item["parentId"], item["parentName"], item["depth"]) == (b, root, "Root", 1)
    assert item["pathLabel"] == "Root / B" and item["childIds"] == [a] and item["childrenCount"] == 1
    assert item["ancestorIds"] == [root] and item["descendantsCount"] == 1
    page2 = (await me.get(ORGS, params={"view": "manage", "pageSize": 2, "page": 2})).json()["items"]
    assert [i["name"] for i in page2] == ["A", "C"]
    assert (await me.get(ORGS, params={"view": "manage", "status": "active"})).json()["total"] == 3
    found = (await me.get(ORGS, params={"view": "manage", "search": "root / b"})).json()
    assert [i["name"] for i in found["items"]] == ["B", "A"]


async def test_tree_view_nests_children(world: World) -> None:
    me = await world.user(MANAGE)
    root = world.org_id
    b = await create(me, "B", parentId=root)
    a = await create(me, "A", parentId=b)
    other = await create(me, "Other")
    r = await me.get(ORGS, params={"view": "tree"})
    assert r.status_code == 200 and set(r.json()) == {"items"}
    roots = r.json()["items"]
    assert [n["id"] for n in roots] == [other, root]
    top = roots[1]
    assert set(top) == {"id", "name", "parentId", "tenantId", "depth", "ancestorIds", "childIds", "descendantIds",
                        "isActive", "treePath", "pathLabel", "children"}
    assert top["childIds"] == [b] and top["descendantIds"] == [b, a]
    assert [c["id"] for c in top["children"]] == [b]
    leaf = top["children"][0]["children"][0]
    assert (leaf["id"], leaf["depth"], leaf["ancestorIds"], leaf["children"]) == (a, 2, [root, b], [])


async def test_bad_list_queries_are_400(world: World) -> None:
    me = await world.user(MANAGE)
    for bad in [{"view": "grid"}, {"status": "dormant"}, {"includeInactive": "maybe"}, {"page": "0"},
                {"pageSize": "201"}, {"view": "manage", "pageSize": "x"}]:
        r = await me.get(ORGS, params=bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["error"] == "Invalid input"


async def test_delete_refuses_children_and_members(world: World) -> None:
    me = await world.user(MANAGE)
    root = world.org_id
    parent = await create(me, "Parent", parentId=root)
    child = await create(me, "Child", parentId=parent)
    staffed = await create(me, "Staffed", parentId=root)
    await world.user([], org_id=staffed)
    r = await me.delete(ORGS, params={"id": parent})
    assert r.status_code == 409 and "child" in r.json()["error"]
    r = await me.delete(ORGS, json={"id": staffed})
    assert r.status_code == 409 and "users" in r.json()["error"]
    assert (await stored(parent)).deleted_at is None and (await stored(staffed)).deleted_at is None

    r = await me.delete(ORGS, params={"id": child})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert json.loads(r.headers["x-om-operation"])["resourceId"] == child
    gone = await stored(child)
    assert gone.deleted_at is not None and gone.is_active is False
    assert (await stored(parent)).child_ids == [] and child not in (await stored(root)).descendant_ids
    assert child not in [i["id"] for i in (await me.get(ORGS, params={"status": "all"})).json()["items"]]
    assert (await me.delete(ORGS, params={"id": child})).status_code == 404
    assert (await me.delete(ORGS, params={"id": parent})).json() == {"ok": True}
    r = await me.delete(ORGS)
    assert r.status_code == 400


async def test_other_tenants_organizations_are_invisible(client: httpx.AsyncClient, world: World) -> None:
    a = await world.user(MANAGE)
    secret = await create(a, "Secret", parentId=world.org_id)
    b = await World(client).user(["*"])
    assert secret not in [i["id"] for i in (await b.get(ORGS, params={"status": "all"})).json()["items"]]
    assert (await b.get(ORGS, params={"ids": secret})).json()["items"] == []
    assert (await b.get(ORGS, params={"tenantId": a.tenant_id})).json() == {"items": []}
    assert (await b.get(ORGS, params={"tenantId": a.tenant_id, "view": "manage"})).json()["total"] == 0
    assert (await b.put(ORGS, json={"id": secret, "name": "mine"})).status_code == 404
    assert (await b.delete(ORGS, params={"id": secret})).status_code == 404
    r = await b.post(ORGS, json={"name": "Thief", "parentId": secret})
    assert r.status_code == 400 and r.json() == {"error": "Parent not found"}
    r = await b.put(ORGS, json={"id": b.org_id, "childIds": [secret]})
    assert r.status_code == 400
    assert (await stored(secret)).name == "Secret" and (await stored(secret)).parent_id == world.org_id


async def test_bad_bodies_are_400_and_store_nothing(world: World) -> None:
    me = await world.user(MANAGE)
    org = await create(me, "Keep", parentId=world.org_id)
    before = await tree_state(me.tenant_id)
    bad_creates: list[Any] = [{}, {"name": ""}, {"name": 5}, {"name": "x" * 201}, {"name": "x", "parentId": 7},
                              {"name": "x", "childIds": "abc"}, {"name": "x", "childIds": [1]},
                              {"name": "x", "isActive": "yes"}, [], "name"]
    for body in bad_creates:
        r = await me.post(ORGS, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Invalid input" and r.json()["details"]
    bad_updates: list[Any] = [{}, {"name": "no id"}, {"id": org, "name": ""}, {"id": org, "name": None},
                              {"id": org, "isActive": None}, {"id": org, "isActive": 1}, {"id": 5},
                              {"id": org, "childIds": {"a": 1}}]
    for body in bad_updates:
        r = await me.put(ORGS, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Invalid input"
    for method in (me.post, me.put):
        r = await method(ORGS, content=b"{nope", headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json() == {"error": "Invalid JSON body"}
    r = await me.delete(ORGS, content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json() == {"error": "Invalid JSON body"}
    assert await tree_state(me.tenant_id) == before


async def test_features_are_required(world: World) -> None:
    viewer = await world.user(["directory.organizations.view"])
    nobody = await world.user(["directory.tenants.view", "directory.tenants.manage"])
    assert (await viewer.get(ORGS)).status_code == 200
    cases: list[tuple[Caller, str, dict[str, Any]]] = [
        (viewer, "POST", {"json": {"name": "x"}}), (viewer, "PUT", {"json": {"id": world.org_id, "name": "x"}}),
        (viewer, "DELETE", {"params": {"id": world.org_id}}), (nobody, "GET", {}),
    ]
    for caller, method, kw in cases:
        r = await caller.client.request(method, ORGS, headers={"Authorization": f"Bearer {caller.token}"}, **kw)
        assert r.status_code == 403, (method, r.text)
        assert r.json()["error"] == "Forbidden" and r.json()["requiredFeatures"]
        r = await world.client.request(method, ORGS, **kw)
        assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}
    assert (await stored(world.org_id)).name == "Root"


async def test_writes_are_audited_and_evented(world: World) -> None:
    me = await world.user(MANAGE)
    org = await create(me, "Evented", parentId=world.org_id)
    await me.put(ORGS, json={"id": org, "name": "Renamed"})
    await me.delete(ORGS, params={"id": org})
    await me.post(ORGS, json={"name": ""})
    async with sessionmaker()() as s:
        events = (await s.execute(select(OutboxEvent).where(OutboxEvent.tenant_id == me.tenant_id,
                                                            OutboxEvent.name.like("directory.organization.%"))
                                  .order_by(OutboxEvent.seq))).scalars().all()
        assert [e.name for e in events] == ["directory.organization.created", "directory.organization.updated",
                                            "directory.organization.deleted"]
        assert events[1].payload["id"] == org and events[1].payload["name"] == "Renamed"
        assert events[1].payload["parentId"] == world.org_id and events[1].payload["tenantId"] == me.tenant_id
        logs = (await s.execute(select(ActionLog).where(ActionLog.resource_id == org)
                                .order_by(ActionLog.created_at))).scalars().all()
        assert [entry.command_id for entry in logs] == ["directory.organization.create",
                                                        "directory.organization.update",
                                                        "directory.organization.delete"]
        assert logs[1].snapshot_before is not None and logs[1].snapshot_before["name"] == "Evented"
        assert logs[1].changes_json is not None and logs[1].changes_json["name"] == {"from": "Evented", "to": "Renamed"}
        assert all(entry.actor_user_id == me.user_id and entry.tenant_id == me.tenant_id for entry in logs)


async def test_undo_puts_the_row_back_and_rebuilds_the_tree(world: World) -> None:
    me = await world.user(MANAGE)
    root = world.org_id
    a = await create(me, "A", parentId=root)
    b = await create(me, "B", parentId=a)
    assert (await me.put(ORGS, json={"id": b, "parentId": root})).status_code == 200
    async with sessionmaker()() as s:
        entry = (await s.execute(select(ActionLog).where(ActionLog.resource_id == b,
                                                         ActionLog.command_id == "directory.organization.update")
                                 )).scalars().one()
        await audit.apply_snapshot(s, "directory.organization", b, entry.snapshot_before)
        await s.commit()
    assert (await stored(b)).parent_id == a and (await stored(b)).ancestor_ids == [root, a]
    assert (await stored(a)).child_ids == [b] and (await stored(root)).child_ids == [a]
    assert (await stored(root)).descendant_ids == [a, b]


async def test_undo_through_the_api_ignores_tree_drift(world: World) -> None:
    me = await world.user([*MANAGE, "audit_logs.undo_self"])
    colleague = await world.user(MANAGE)
    root = world.org_id
    a = await create(me, "A", parentId=root)
    b = await create(me, "B", parentId=a)
    r = await me.put(ORGS, json={"id": b, "parentId": root})
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    # Someone else's later write changes B's derived columns only (its children), not B itself.
    await create(colleague, "Under B", parentId=b)
    r = await me.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert r.status_code == 200, r.text
    assert (await stored(b)).parent_id == a and (await stored(b)).depth == 2
    assert (await stored(a)).child_ids == [b] and len((await stored(a)).descendant_ids) == 2


async def test_undoing_a_creation_is_refused_while_the_organization_has_users(world: World) -> None:
    me = await world.user([*MANAGE, "audit_logs.undo_self"])
    r = await me.post(ORGS, json={"name": "Branch", "parentId": world.org_id})
    assert r.status_code == 201, r.text
    branch, token = r.json()["id"], json.loads(r.headers["x-om-operation"])["undoToken"]
    # Someone else puts a user there: undoing the creation would leave that user in no organization.
    await world.user([], org_id=branch)

    r = await me.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert r.status_code == 409, r.text
    assert r.json() == {"error": "Organization has users assigned; move or delete them first"}
    assert (await stored(branch)).deleted_at is None
    assert branch in (await stored(world.org_id)).child_ids


async def test_undo_and_redo_move_back_the_organizations_a_child_ids_update_moved(world: World) -> None:
    me = await world.user([*MANAGE, "audit_logs.undo_self", "audit_logs.redo_self"])
    colleague = await world.user(MANAGE)
    root = world.org_id
    a, b = await create(me, "A", parentId=root), await create(me, "B", parentId=root)
    x, y = await create(me, "X", parentId=b), await create(me, "Y", parentId=a)
    # X is taken from B, Y is let go (to the top level).
    r = await me.put(ORGS, json={"id": a, "childIds": [x]})
    assert r.status_code == 200, r.text
    assert ((await stored(x)).parent_id, (await stored(y)).parent_id) == (a, None)
    token = json.loads(r.headers["x-om-operation"])["undoToken"]

    undo = await me.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert undo.status_code == 200, undo.text
    assert ((await stored(x)).parent_id, (await stored(y)).parent_id) == (b, a)
    assert sorted((await stored(a)).child_ids) == [y] and (await stored(b)).child_ids == [x]
    assert (await stored(x)).ancestor_ids == [root, b]

    redo = await me.post("/api/audit_logs/audit-logs/actions/redo", json={"logId": undo.json()["logId"]})
    assert redo.status_code == 200, redo.text
    assert ((await stored(x)).parent_id, (await stored(y)).parent_id) == (a, None)

    # Someone moves X again: undoing the redo would undo their move too, so it is refused and nothing changes.
    assert (await colleague.put(ORGS, json={"id": x, "parentId": root})).status_code == 200
    r = await me.post("/api/audit_logs/audit-logs/actions/undo",
                      json={"undoToken": json.loads(redo.headers["x-om-operation"])["undoToken"]})
    assert r.status_code == 400 and r.json() == {"error": "The record has changed since this action"}
    assert ((await stored(x)).parent_id, (await stored(y)).parent_id) == (root, None)
