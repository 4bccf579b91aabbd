"""The media library, transfers of draft attachments, and storage partitions."""

from __future__ import annotations

from sqlalchemy import select

from api.db import sessionmaker
from api.modules.attachments.models import Attachment, AttachmentPartition
from tests.api.modules.attachments.helpers import uploaded
from tests.fixtures import World

ALL = ["attachments.view", "attachments.manage"]


async def test_library_pages_filters_and_describes(world: World) -> None:
    caller = await world.user(ALL)
    a = await uploaded(caller, name="alpha.png", tags="red,big")
    b = await uploaded(caller, b"some text", name="beta.txt", tags='["red"]')
    c = await uploaded(caller, name="gamma.png", partitionCode="productsMedia", tags='["50%_off"]')

    r = await caller.get("/api/attachments/library")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["id"] for i in body["items"]] == [c["id"], b["id"], a["id"]]
    assert (body["total"], body["page"], body["pageSize"], body["totalPages"]) == (3, 1, 25, 1)
    assert body["availableTags"] == ["50%_off", "big", "red"]
    assert {p["code"]: p["isPublic"] for p in body["partitions"]} == {"productsMedia": True,
                                                                     "privateAttachments": False}
    first = body["items"][0]
    assert first["partitionTitle"] == "Products media"
    assert first["thumbnailUrl"] == f"/api/attachments/image/{c['id']}/gamma.png?width=200&height=200"
    assert "thumbnailUrl" not in body["items"][1]

    async def ids(**params: str) -> list[str]:
        r = await caller.get("/api/attachments/library", params=params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert await ids(tags="red") == [b["id"], a["id"]]
    assert await ids(tags="red,big") == [a["id"]]
    assert await ids(tags="50%_off") == [c["id"]]
    assert await ids(tags="50") == []
    assert await ids(search="ALP") == [a["id"]]
    assert await ids(partition="productsMedia") == [c["id"]]
    assert await ids(mimeType="image/") == [c["id"], a["id"]]
    assert await ids(sortField="fileName", sortDir="asc") == [a["id"], b["id"], c["id"]]
    assert await ids(pageSize="2", page="2") == [a["id"]]
    for bad in ({"pageSize": "26"}, {"sortField": "secret"}, {"page": "x"}):
        r = await caller.get("/api/attachments/library", params=bad)
        assert r.status_code == 400, (bad, r.text)

    detail = await caller.get(f"/api/attachments/library/{a['id']}")
    assert detail.status_code == 200
    item = detail.json()["item"]
    assert item["fileName"] == "alpha.png" and item["partitionTitle"] == "Private attachments"
    assert item["tags"] == ["red", "big"] and item["mimeType"] == "image/png"


async def test_library_patch_sets_tags_and_assignments(world: World) -> None:
    caller = await world.user(ALL)
    a = await uploaded(caller, entity="attachments:library", record="lib")
    assert a["assignments"] == []
    r = await caller.patch(f"/api/attachments/library/{a['id']}", json={
        "tags": [" invoice ", "invoice", "", "2024"],
        "assignments": [{"type": "sales:order", "id": "SO-9", "href": "/backend/sales/orders/SO-9", "label": "SO-9"},
                        {"type": "sales:order", "id": "SO-9", "label": "again"}]})
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "item": {"id": a["id"], "tags": ["invoice", "2024"],
                                             "assignments": [{"type": "sales:order", "id": "SO-9", "label": "again"}]}}
    r = await caller.patch(f"/api/attachments/library/{a['id']}", json={"assignments": []})
    assert r.json()["item"] == {"id": a["id"], "tags": ["invoice", "2024"], "assignments": []}
    for bad in ({"tags": "not-a-list"}, {"assignments": [{"type": "x"}]}, {"tags": ["x" * 101]}):
        r = await caller.patch(f"/api/attachments/library/{a['id']}", json=bad)
        assert r.status_code == 400, (bad, r.text)
    r = await caller.patch(f"/api/attachments/library/{a['id']}", content=b"{nope")
    assert r.status_code == 400 and r.json() == {"error": "Invalid JSON body"}
    detail = (await caller.get(f"/api/attachments/library/{a['id']}")).json()["item"]
    assert detail["tags"] == ["invoice", "2024"] and detail["assignments"] == []
    r = await caller.delete(f"/api/attachments/library/{a['id']}")
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await caller.get(f"/api/attachments/library/{a['id']}")).status_code == 404


async def test_transfer_moves_drafts_to_the_saved_record(world: World) -> None:
    caller = await world.user(ALL)
    one = await uploaded(caller, entity="sales:order", record="draft-1")
    two = await uploaded(caller, entity="sales:order", record="draft-1")
    other = await uploaded(caller, entity="sales:order", record="draft-2")
    r = await caller.post("/api/attachments/transfer", json={
        "entityId": "sales:order", "attachmentIds": [one["id"], two["id"], other["id"]],
        "fromRecordId": "draft-1", "toRecordId": "SO-100"})
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "updated": 2}
    moved = (await caller.get("/api/attachments", params={"entityId": "sales:order", "recordId": "SO-100"})).json()
    assert {i["id"] for i in moved["items"]} == {one["id"], two["id"]}
    assert all(i["assignments"] == [{"type": "sales:order", "id": "SO-100"}] for i in moved["items"])
    r = await caller.post("/api/attachments/transfer", json={
        "entityId": "customers:person", "attachmentIds": [other["id"]], "toRecordId": "P-1"})
    assert r.status_code == 404
    for bad in ({}, {"entityId": "sales:order", "attachmentIds": [], "toRecordId": "x"},
                {"entityId": "sales:order", "attachmentIds": ["not-a-uuid"], "toRecordId": "x"},
                {"entityId": "sales:order", "attachmentIds": [other["id"]]}):
        r = await caller.post("/api/attachments/transfer", json=bad)
        assert r.status_code == 400, (bad, r.text)
    async with sessionmaker()() as s:
        row = await s.get(Attachment, other["id"])
        assert row is not None and row.record_id == "draft-2"


async def test_partitions_crud(world: World) -> None:
    caller = await world.user(ALL)
    r = await caller.get("/api/attachments/partitions")
    assert r.status_code == 200
    defaults = r.json()["items"]
    assert {p["code"] for p in defaults} == {"productsMedia", "privateAttachments"}
    assert {p["code"]: p["isPublic"] for p in defaults} == {"productsMedia": True, "privateAttachments": False}
    # Listing again creates nothing more.
    assert len((await caller.get("/api/attachments/partitions")).json()["items"]) == 2

    r = await caller.post("/api/attachments/partitions", json={"code": "contracts", "title": " Contracts ",
                                                                "description": "Signed PDFs"})
    assert r.status_code == 201, r.text
    created = r.json()["item"]
    assert (created["code"], created["title"], created["isPublic"], created["storageDriver"]) == \
        ("contracts", "Contracts", False, "local")
    dup = await caller.post("/api/attachments/partitions", json={"code": "contracts", "title": "Again"})
    assert dup.status_code == 409 and dup.json() == {"error": "Partition code already exists."}
    for bad in ({"code": "a", "title": "t"}, {"code": "../x", "title": "t"}, {"code": "ok-code"},
                {"code": "ok-code", "title": "t", "isPublic": "yes"},
                {"code": "ok-code", "title": "t", "isPublic": None}):
        r = await caller.post("/api/attachments/partitions", json=bad)
        assert r.status_code == 400, (bad, r.text)

    r = await caller.put("/api/attachments/partitions", json={"id": created["id"], "code": "contracts",
                                                               "title": "Contracts (signed)", "isPublic": True})
    assert r.status_code == 200, r.text
    assert r.json()["item"]["title"] == "Contracts (signed)" and r.json()["item"]["isPublic"] is True
    assert r.json()["item"]["description"] == "Signed PDFs"
    r = await caller.put("/api/attachments/partitions", json={"id": created["id"], "code": "renamed", "title": "x"})
    assert r.status_code == 400 and r.json() == {"error": "Partition code cannot be changed."}
    r = await caller.put("/api/attachments/partitions", json={"id": "nope", "code": "contracts", "title": "x"})
    assert r.status_code == 404

    private = next(p for p in defaults if p["code"] == "privateAttachments")
    r = await caller.delete("/api/attachments/partitions", params={"id": private["id"]})
    assert r.status_code == 400 and r.json() == {"error": "Default partitions cannot be removed."}
    item = await uploaded(caller, partitionCode="contracts")
    r = await caller.delete("/api/attachments/partitions", params={"id": created["id"]})
    assert r.status_code == 409 and r.json() == {"error": "Partition is in use and cannot be removed."}
    assert (await caller.delete(f"/api/attachments/library/{item['id']}")).status_code == 200
    r = await caller.delete("/api/attachments/partitions", params={"id": created["id"]})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await caller.delete("/api/attachments/partitions", params={"id": "x"})).status_code == 400
    async with sessionmaker()() as s:
        codes = set((await s.execute(select(AttachmentPartition.code).where(
            AttachmentPartition.tenant_id == world.tenant_id))).scalars())
    assert codes == {"productsMedia", "privateAttachments"}


async def test_writes_are_audited_and_announced(world: World) -> None:
    caller = await world.user([*ALL, "audit_logs.*"])
    item = await uploaded(caller)
    await caller.patch(f"/api/attachments/library/{item['id']}", json={"tags": ["x"]})
    await caller.delete(f"/api/attachments/library/{item['id']}")
    from api.modules.audit_logs.models import ActionLog
    from api.outbox_models import OutboxEvent
    async with sessionmaker()() as s:
        logs = (await s.execute(select(ActionLog.command_id).where(ActionLog.resource_id == item["id"])
                                .order_by(ActionLog.created_at))).scalars().all()
        events = (await s.execute(select(OutboxEvent.name).where(OutboxEvent.tenant_id == world.tenant_id)
                                  )).scalars().all()
    assert list(logs) == ["attachments.attachment.create", "attachments.attachment.update",
                          "attachments.attachment.delete"]
    assert {"attachments.attachment.created", "attachments.attachment.updated",
            "attachments.attachment.deleted"} <= set(events)
