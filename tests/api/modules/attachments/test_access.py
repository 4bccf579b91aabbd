"""Who may do what: 401 and 403 on every route, and another tenant's attachments are 404."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.modules.attachments.helpers import uploaded
from tests.fixtures import World

ID = "00000000-0000-4000-8000-000000000000"
ROUTES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("GET", "/api/attachments?entityId=a&recordId=b", "attachments.view", {}),
    ("POST", "/api/attachments", "attachments.manage", {"files": {"file": ("a.txt", b"x")},
                                                        "data": {"entityId": "a", "recordId": "b"}}),
    ("DELETE", f"/api/attachments?id={ID}", "attachments.manage", {}),
    ("GET", "/api/attachments/library", "attachments.view", {}),
    ("GET", f"/api/attachments/library/{ID}", "attachments.view", {}),
    ("PATCH", f"/api/attachments/library/{ID}", "attachments.manage", {"json": {"tags": []}}),
    ("DELETE", f"/api/attachments/library/{ID}", "attachments.manage", {}),
    ("GET", "/api/attachments/partitions", "attachments.manage", {}),
    ("POST", "/api/attachments/partitions", "attachments.manage", {"json": {"code": "ab", "title": "t"}}),
    ("PUT", "/api/attachments/partitions", "attachments.manage", {"json": {"id": ID, "code": "ab", "title": "t"}}),
    ("DELETE", f"/api/attachments/partitions?id={ID}", "attachments.manage", {}),
    ("POST", "/api/attachments/transfer", "attachments.manage",
     {"json": {"entityId": "a", "attachmentIds": [ID], "toRecordId": "b"}}),
]


@pytest.mark.parametrize(("method", "url", "feature", "kw"), ROUTES, ids=lambda v: str(v)[:40])
async def test_anonymous_401_and_without_the_feature_403(world: World, method: str, url: str, feature: str,
                                                         kw: dict[str, Any]) -> None:
    r = await world.client.request(method, url, **kw)
    assert r.status_code == 401, r.text
    other = "attachments.manage" if feature == "attachments.view" else "attachments.view"
    caller = await world.user([other])
    r = await caller.client.request(method, url, headers={"Authorization": f"Bearer {caller.token}"}, **kw)
    assert r.status_code == 403, r.text
    assert r.json()["requiredFeatures"] == [feature]


async def test_another_tenants_attachments_are_404_everywhere(client: Any) -> None:
    mine, theirs = await World(client).setup(), await World(client).setup()
    owner = await mine.user(["attachments.*"])
    stranger = await theirs.user(["*"])
    private = await uploaded(owner)
    public = await uploaded(owner, partitionCode="productsMedia")
    for item in (private, public):
        for url in (item["url"], f"/api/attachments/image/{item['id']}/a.png?width=10",
                    f"/api/attachments/library/{item['id']}"):
            r = await stranger.get(url)
            assert r.status_code == 404, (url, r.text)
    assert (await stranger.patch(f"/api/attachments/library/{private['id']}", json={"tags": ["x"]})).status_code == 404
    assert (await stranger.delete(f"/api/attachments/library/{private['id']}")).status_code == 404
    assert (await stranger.delete("/api/attachments", params={"id": private["id"]})).status_code == 404
    r = await stranger.post("/api/attachments/transfer", json={"entityId": "sales:order",
                                                               "attachmentIds": [private["id"]], "toRecordId": "X"})
    assert r.status_code == 404 and r.json() == {"error": "Attachments not found"}
    listed = await stranger.get("/api/attachments", params={"entityId": "sales:order", "recordId": "SO-1"})
    assert listed.json() == {"items": []}
    assert (await stranger.get("/api/attachments/library")).json()["items"] == []
    their_parts = (await stranger.get("/api/attachments/partitions")).json()["items"]
    my_parts = (await owner.get("/api/attachments/partitions")).json()["items"]
    assert not {p["id"] for p in their_parts} & {p["id"] for p in my_parts}
    mine_private = next(p for p in my_parts if p["code"] == "privateAttachments")
    r = await stranger.put("/api/attachments/partitions", json={**mine_private, "title": "Hijacked"})
    assert r.status_code == 404
    assert (await stranger.delete("/api/attachments/partitions", params={"id": mine_private["id"]})).status_code == 404
    # Still there and untouched for the owner.
    assert (await owner.get(private["url"])).status_code == 200
    assert (await owner.get(f"/api/attachments/library/{private['id']}")).json()["item"]["tags"] == []


async def test_organizations_outside_the_callers_scope_are_404(world: World) -> None:
    await world.setup()
    branch = await world.org("Branch")
    sibling = await world.org("Sibling")
    at_branch = await world.user(["attachments.*"], org_id=branch)
    at_sibling = await world.user(["attachments.*"], org_id=sibling)
    at_root = await world.user(["attachments.*"])
    item = await uploaded(at_branch)
    assert (await at_sibling.get(item["url"])).status_code == 404
    assert (await at_sibling.get(f"/api/attachments/library/{item['id']}")).status_code == 404
    # The root organization's scope holds its descendants.
    assert (await at_root.get(item["url"])).status_code == 200
