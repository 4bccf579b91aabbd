"""A shipment's containers, tasks and documents, and the lists across shipments."""

from __future__ import annotations

import json

from tests.api.modules.shipments.helpers import ALL, VIEW_ONLY, shipment
from tests.fixtures import Caller, World

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def with_containers(me: Caller) -> str:
    r = await me.post("/api/shipments/shipments/import", files={"file": (
        "c.csv", b"Reference,Containers,Size\nC-1,\"MSKU1234567;MSKU7654321\",40HC\n", "text/csv")})
    assert r.status_code == 201, r.text
    return str(r.json()["shipmentIds"][0])


async def with_children(me: Caller) -> tuple[str, str, str, str]:
    """A shipment with a container, a task and a document: their ids, the shipment's first."""
    sid = await with_containers(me)
    cid = (await me.get(f"/api/shipments/{sid}/containers")).json()["items"][0]["id"]
    tid = (await me.post(f"/api/shipments/{sid}/tasks", json={"title": "T"})).json()["item"]["id"]
    did = (await me.post(f"/api/shipments/{sid}/documents", files={"file": ("a.pdf", PDF, "application/pdf")})) \
        .json()["item"]["id"]
    return sid, cid, tid, did


async def test_containers_are_listed_and_updated(world: World) -> None:
    me = await world.user(ALL)
    sid = await with_containers(me)
    own = (await me.get(f"/api/shipments/{sid}/containers")).json()["items"]
    assert len(own) == 2 and own[0]["shipmentId"] == sid and own[0]["status"] is None
    cid = own[0]["id"]
    r = await me.put(f"/api/shipments/containers/{cid}", json={
        "status": "DISCHARGED", "dischargedDate": "2026-02-01T10:00:00Z", "currentLocation": "Ningbo"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "DISCHARGED" and r.json()["currentLocation"] == "Ningbo"
    page = (await me.get("/api/shipments/containers", params={"status": "DISCHARGED,GATE_OUT"})).json()
    assert page["ok"] is True and page["pagination"] == {"page": 1, "pageSize": 10, "total": 1, "totalPages": 1}
    assert page["items"][0]["id"] == cid and page["items"][0]["shipment"]["internalReference"] == "C-1"
    everything = (await me.get("/api/shipments/containers", params={"pageSize": 1})).json()
    assert everything["pagination"]["total"] == 2 and everything["pagination"]["totalPages"] == 2
    assert everything["items"][0]["id"] == cid  # discharged most recently first; never-discharged last
    for bad in ({"status": "SUNK"}, {"sortBy": "colour"}, {"sortOrder": "up"}, {"pageSize": "500"}):
        assert (await me.get("/api/shipments/containers", params=bad)).status_code == 400, bad
    for body in ({"containerNumber": "nope"}, {"status": "SUNK"}, {"containerType": None}):
        assert (await me.put(f"/api/shipments/containers/{cid}", json=body)).status_code == 400, body
    assert (await me.get(f"/api/shipments/{sid}/containers")).json()["items"][0]["status"] == "DISCHARGED"


async def test_tasks_of_a_shipment(world: World) -> None:
    me = await world.user(ALL)
    sid = await shipment(me)
    r = await me.post(f"/api/shipments/{sid}/tasks", json={"title": "  Send the B/L  ", "assignedToId": me.user_id})
    assert r.status_code == 201, r.text
    task = r.json()["item"]
    assert r.json()["ok"] is True and task["title"] == "Send the B/L" and task["status"] == "TODO"
    assert task["assignedTo"]["id"] == me.user_id and task["shipmentId"] == sid
    r = await me.put(f"/api/shipments/{sid}/tasks/{task['id']}", json={"status": "DONE", "description": "sent"})
    assert r.status_code == 200 and r.json()["item"]["status"] == "DONE" and r.json()["item"]["title"] == "Send the B/L"
    listed = (await me.get(f"/api/shipments/{sid}/tasks")).json()
    assert listed["ok"] is True and [t["id"] for t in listed["items"]] == [task["id"]]
    across = (await me.get("/api/shipments/tasks", params={"status": "DONE"})).json()
    assert across["pagination"]["total"] == 1 and across["items"][0]["shipment"]["id"] == sid
    assert (await me.get("/api/shipments/tasks", params={"status": "TODO"})).json()["items"] == []
    r = await me.delete(f"/api/shipments/{sid}/tasks/{task['id']}")
    assert r.status_code == 204 and r.content == b""
    assert (await me.get(f"/api/shipments/{sid}/tasks")).json()["items"] == []


async def test_bad_tasks_are_refused(world: World) -> None:
    me = await world.user(ALL)
    sid, other_sid = await shipment(me), await shipment(me)
    for body in ({}, {"title": "   "}, {"title": "x", "status": "LATER"},
                 {"title": "x", "assignedToId": "00000000-0000-4000-8000-000000000000"}):
        assert (await me.post(f"/api/shipments/{sid}/tasks", json=body)).status_code == 400, body
    assert (await me.get(f"/api/shipments/{sid}/tasks")).json()["items"] == []
    tid = (await me.post(f"/api/shipments/{sid}/tasks", json={"title": "T"})).json()["item"]["id"]
    assert (await me.put(f"/api/shipments/{sid}/tasks/{tid}", json={"title": None})).status_code == 400
    assert (await me.put(f"/api/shipments/{sid}/tasks/{tid}", json={"status": "LATER"})).status_code == 400
    # A task is reached through its own shipment only.
    assert (await me.put(f"/api/shipments/{other_sid}/tasks/{tid}", json={"status": "DONE"})).status_code == 404
    assert (await me.delete(f"/api/shipments/{other_sid}/tasks/{tid}")).status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await me.post(f"/api/shipments/{missing}/tasks", json={"title": "T"})).status_code == 404


async def test_documents_are_stored_as_attachments(world: World) -> None:
    me = await world.user(ALL + ["attachments.*"])
    sid = await shipment(me)
    r = await me.post(f"/api/shipments/{sid}/documents", files={"file": ("bill of lading.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    doc = r.json()["item"]
    assert r.json()["ok"] is True and doc["shipmentId"] == sid and doc["extractedData"] is None
    assert doc["processedAt"] is None and doc["attachment"]["fileName"] == "bill_of_lading.pdf"
    assert doc["attachment"]["mimeType"] == "application/pdf" and doc["attachment"]["fileSize"] == len(PDF)
    listed = (await me.get(f"/api/shipments/{sid}/documents")).json()
    assert listed["ok"] is True and listed["total"] == 1 and listed["items"][0]["id"] == doc["id"]
    one = (await me.get(f"/api/shipments/{sid}/documents/{doc['id']}")).json()
    assert one["item"]["attachmentId"] == doc["attachmentId"]
    # The attachments module knows the file under the shipment, and serves its bytes.
    files = (await me.get("/api/attachments", params={"entityId": "shipments:shipment", "recordId": sid})).json()
    assert [f["id"] for f in files["items"]] == [doc["attachmentId"]]
    assert (await me.get(doc["attachment"]["url"])).content == PDF
    other_sid = await shipment(me)
    assert (await me.get(f"/api/shipments/{other_sid}/documents/{doc['id']}")).status_code == 404


async def test_a_document_may_be_larger_than_other_request_bodies(world: World) -> None:
    # Past the 2 MB body limit of other routes, up to the attachments' own upload limit.
    me = await world.user(ALL)
    sid = await shipment(me)
    big = PDF + b"0" * (3 * 1024 * 1024)
    r = await me.post(f"/api/shipments/{sid}/documents", files={"file": ("scan.pdf", big, "application/pdf")})
    assert r.status_code == 201, r.text
    assert r.json()["item"]["attachment"]["fileSize"] == len(big)


async def test_bad_uploads_store_nothing(world: World) -> None:
    me = await world.user(ALL)
    sid = await shipment(me)
    r = await me.post(f"/api/shipments/{sid}/documents", files={"other": ("a.pdf", PDF, "application/pdf")})
    assert r.status_code == 400 and r.json()["error"] == "No file provided"
    assert (await me.post(f"/api/shipments/{sid}/documents", json={"file": "x"})).status_code == 400
    r = await me.post(f"/api/shipments/{sid}/documents", files={"file": ("a.pdf", b"", "application/pdf")})
    assert r.status_code == 400
    missing = "00000000-0000-4000-8000-000000000000"
    r = await me.post(f"/api/shipments/{missing}/documents", files={"file": ("a.pdf", PDF, "application/pdf")})
    assert r.status_code == 404
    assert (await me.get(f"/api/shipments/{sid}/documents")).json()["total"] == 0


async def test_children_need_features(world: World) -> None:
    me = await world.user(ALL)
    sid, cid, tid, did = await with_children(me)
    reads = ["/api/shipments/containers", "/api/shipments/tasks", f"/api/shipments/{sid}/containers",
             f"/api/shipments/{sid}/documents", f"/api/shipments/{sid}/documents/{did}", f"/api/shipments/{sid}/tasks",
             "/api/shipments/table-config", "/api/shipments/entities/user", "/api/shipments/dictionaries/x"]
    writes = [("PUT", f"/api/shipments/containers/{cid}"), ("POST", f"/api/shipments/{sid}/tasks"),
              ("PUT", f"/api/shipments/{sid}/tasks/{tid}"), ("DELETE", f"/api/shipments/{sid}/tasks/{tid}"),
              ("POST", f"/api/shipments/{sid}/documents")]
    for url in reads:
        assert (await world.client.get(url)).status_code == 401, url
    for method, url in writes:
        assert (await world.client.request(method, url, json={})).status_code == 401, url
    viewer = await world.user(VIEW_ONLY)
    nobody = await world.user([])
    for url in reads:
        assert (await nobody.get(url)).status_code == 403, url
        assert (await viewer.get(url)).status_code in (200, 404), url
    for method, url in writes:
        assert (await viewer.client.request(method, url, json={"title": "x"}, headers=viewer._h(None))) \
            .status_code == 403, url


async def test_another_tenant_reaches_no_child(world: World) -> None:
    me = await world.user(ALL)
    sid, cid, tid, did = await with_children(me)
    other = await World(world.client).user(ALL)
    assert (await other.get("/api/shipments/containers")).json()["pagination"]["total"] == 0
    assert (await other.get("/api/shipments/tasks")).json()["pagination"]["total"] == 0
    for url in (f"/api/shipments/{sid}/containers", f"/api/shipments/{sid}/documents",
                f"/api/shipments/{sid}/documents/{did}", f"/api/shipments/{sid}/tasks"):
        assert (await other.get(url)).status_code == 404, url
    assert (await other.put(f"/api/shipments/containers/{cid}", json={"status": "LOADED"})).status_code == 404
    assert (await other.post(f"/api/shipments/{sid}/tasks", json={"title": "T"})).status_code == 404
    assert (await other.put(f"/api/shipments/{sid}/tasks/{tid}", json={"status": "DONE"})).status_code == 404
    assert (await other.delete(f"/api/shipments/{sid}/tasks/{tid}")).status_code == 404
    r = await other.post(f"/api/shipments/{sid}/documents", files={"file": ("a.pdf", PDF, "application/pdf")})
    assert r.status_code == 404
    assert (await me.get(f"/api/shipments/{sid}/tasks")).json()["items"][0]["status"] == "TODO"


async def test_an_upload_over_the_request_limit_is_refused(world: World) -> None:
    me = await world.user(ALL)
    sid = await shipment(me)
    # Over the attachments' upload limit (10 MB by default), which documents share.
    big = b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)
    r = await me.post(f"/api/shipments/{sid}/documents", files={"file": ("big.pdf", big, "application/pdf")})
    assert r.status_code == 413
    assert (await me.get(f"/api/shipments/{sid}/documents")).json()["total"] == 0


async def test_writes_are_undoable(world: World) -> None:
    me = await world.user(ALL + ["audit_logs.*"])
    sid = await shipment(me, carrier="Maersk")
    r = await me.put(f"/api/shipments/{sid}", json={"carrier": "MSC"})
    undo = await me.post("/api/audit_logs/audit-logs/actions/undo",
                         json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    assert (await me.get(f"/api/shipments/{sid}")).json()["carrier"] == "Maersk"
    r = await me.post(f"/api/shipments/{sid}/tasks", json={"title": "T"})
    undo = await me.post("/api/audit_logs/audit-logs/actions/undo",
                         json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text
    assert (await me.get(f"/api/shipments/{sid}/tasks")).json()["items"] == []


async def test_undoing_a_shipment_delete_brings_back_its_containers_tasks_and_documents(world: World) -> None:
    me = await world.user(ALL + ["audit_logs.*", "attachments.*"])
    sid = await with_containers(me)
    task = (await me.post(f"/api/shipments/{sid}/tasks", json={"title": "Call the carrier"})).json()["item"]
    r = await me.post(f"/api/shipments/{sid}/documents", files={"file": ("bl.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    containers = (await me.get(f"/api/shipments/{sid}/containers")).json()["items"]
    documents = (await me.get(f"/api/shipments/{sid}/documents")).json()["items"]

    r = await me.delete(f"/api/shipments/{sid}")
    assert r.status_code == 204
    assert (await me.get("/api/shipments/containers")).json()["pagination"]["total"] == 0
    assert (await me.get("/api/shipments/tasks")).json()["pagination"]["total"] == 0
    undo = await me.post("/api/audit_logs/audit-logs/actions/undo",
                         json={"undoToken": json.loads(r.headers["x-om-operation"])["undoToken"]})
    assert undo.status_code == 200, undo.text

    assert (await me.get(f"/api/shipments/{sid}/containers")).json()["items"] == containers
    assert [t["id"] for t in (await me.get(f"/api/shipments/{sid}/tasks")).json()["items"]] == [task["id"]]
    assert (await me.get(f"/api/shipments/{sid}/documents")).json()["items"] == documents
    # Redone, the delete takes them again.
    redo = await me.post("/api/audit_logs/audit-logs/actions/redo", json={"logId": undo.json()["logId"]})
    assert redo.status_code == 200, redo.text
    assert (await me.get(f"/api/shipments/{sid}")).status_code == 404
    assert (await me.get("/api/shipments/containers")).json()["pagination"]["total"] == 0
