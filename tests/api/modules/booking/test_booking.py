"""The booking collections over HTTP: the reference's paths, snake_case items in `{items, total,
totalPages}`, `201 {id}`, `{ok: true}`, DELETE with `{id}` in the body; references checked (400 naming
the field, nothing stored); tags; events (written by workflow commands) in the picker, the resource
calendar and attendees; 401/403 with `requiredFeatures`; another tenant's rows are 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from api import manifest
from api.auth import context_for_user
from api.db import sessionmaker
from api.modules.audit_logs.models import ActionLog
from api.modules.auth.models import User
from api.modules.booking.models import Team
from tests.fixtures import Caller, World

B = "/api/booking"
ALL = ["booking.*"]
MISSING = "00000000-0000-4000-8000-000000000000"


async def created(me: Caller, path: str, body: dict[str, Any]) -> str:
    r = await me.post(f"{B}/{path}", json=body)
    assert r.status_code == 201, r.text
    assert list(r.json()) == ["id"]
    return str(r.json()["id"])


async def items(me: Caller, path: str, **params: Any) -> list[dict[str, Any]]:
    r = await me.get(f"{B}/{path}", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"items", "total", "totalPages"} <= set(body)
    return list(body["items"])


async def run_command(me: Caller, command: str, data: dict[str, Any]) -> dict[str, Any]:
    """A workflow command (UPDATE_ENTITY) run as `me`, as the workflows' activity runs it."""
    async with sessionmaker()() as s:
        ctx = await context_for_user(s, await s.get(User, me.user_id))  # type: ignore[arg-type]
        out = await manifest.commands()[command].execute(s, ctx, data)
        await s.commit()
        assert out.result is not None
        return out.result


async def test_teams_roles_members(world: World) -> None:
    me = await world.user(ALL)
    team = await created(me, "teams", {"name": "Surgeons", "description": "OR staff"})
    role = await created(me, "team-roles", {"name": "Lead", "teamId": team, "appearanceColor": "#aa0011"})
    member = await created(me, "team-members", {"displayName": "Dr. Nowak", "teamId": team, "roleIds": [role],
                                                 "tags": ["senior"], "userId": me.user_id})
    [t] = await items(me, "teams")
    assert t["id"] == team and t["name"] == "Surgeons" and t["is_active"] is True and t["memberCount"] == 1
    assert {"organization_id", "tenant_id", "created_at", "updated_at"} <= set(t)
    [r] = await items(me, "team-roles", teamId=team)
    assert r["team"] == {"id": team, "name": "Surgeons"} and r["memberCount"] == 1
    assert r["appearance_color"] == "#aa0011"
    [m] = await items(me, "team-members", roleId=role)
    assert m["display_name"] == "Dr. Nowak" and m["role_ids"] == [role] and m["tags"] == ["senior"]
    assert m["user"] == {"id": me.user_id, "email": me.email} and m["team"] == {"id": team, "name": "Surgeons"}
    assert await items(me, "team-members", roleId=MISSING) == []
    assert [x["id"] for x in await items(me, "team-members", search="nowak")] == [member]

    r = await me.put(f"{B}/teams", json={"id": team, "description": None, "isActive": False})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert (await items(me, "teams", isActive="false"))[0]["description"] is None

    # Member tags: free text, assign / unassign.
    r = await me.post(f"{B}/team-members/tags/assign", json={"memberId": member, "tag": "night-shift"})
    assert r.status_code == 201 and r.json() == {"id": member}, r.text
    r = await me.post(f"{B}/team-members/tags/assign", json={"memberId": member, "tag": "night-shift"})
    assert r.status_code == 409
    assert (await items(me, "team-members"))[0]["tags"] == ["senior", "night-shift"]
    r = await me.post(f"{B}/team-members/tags/unassign", json={"memberId": member, "tag": "senior"})
    assert r.status_code == 200 and r.json() == {"id": member}
    r = await me.post(f"{B}/team-members/tags/unassign", json={"memberId": member, "tag": "senior"})
    assert r.status_code == 404
    assert (await items(me, "team-members"))[0]["tags"] == ["night-shift"]

    r = await me.delete(f"{B}/team-members", json={"id": member})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert await items(me, "team-members") == []
    assert (await items(me, "teams"))[0]["memberCount"] == 0


@pytest.mark.parametrize(("path", "body", "field"), [
    ("team-members", {"displayName": "X", "teamId": MISSING}, "teamId"),
    ("team-members", {"displayName": "X", "roleIds": [MISSING]}, "roleIds"),
    ("team-members", {"displayName": "X", "userId": MISSING}, "userId"),
    ("team-members", {"displayName": "X", "availabilityRuleSetId": MISSING}, "availabilityRuleSetId"),
    ("team-members", {"displayName": ""}, "displayName"),
    ("team-roles", {"name": "X", "appearanceColor": "red"}, "appearanceColor"),
    ("resources", {"name": "X", "resourceTypeId": MISSING}, "resourceTypeId"),
    ("resources", {"name": "X", "capacity": 0}, "capacity"),
    ("resources", {"name": "X", "tags": [MISSING]}, "tags"),
    ("availability-rule-sets", {"name": "X", "timezone": "Europe/Atlantis"}, "timezone"),
    ("event-attendees", {"eventId": MISSING, "firstName": "A", "lastName": "B"}, "eventId"),
    ("teams", {"name": "x" * 201}, "name"),
])
async def test_bad_input_is_400_and_stores_nothing(world: World, path: str, body: dict[str, Any],
                                                   field: str) -> None:
    me = await world.user(ALL)
    r = await me.post(f"{B}/{path}", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["details"][0]["path"][0] == field, r.json()
    assert await items(me, path) == []
    r = await me.post(f"{B}/{path}", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400


async def test_resources_types_and_tags(world: World) -> None:
    me = await world.user(ALL)
    room = await created(me, "resource-types", {"name": "Room", "appearanceIcon": "door"})
    tag = await created(me, "tags", {"label": "Has projector", "color": "#123456"})
    other = await created(me, "tags", {"label": "Quiet"})
    a = await created(me, "resources", {"name": "Room A", "resourceTypeId": room, "capacity": 12,
                                        "capacityUnitValue": "seats", "tags": [tag]})
    b = await created(me, "resources", {"name": "Room B", "resourceTypeId": room, "isActive": False})
    [t] = await items(me, "resource-types")
    assert t["resourceCount"] == 2 and t["appearance_icon"] == "door"
    tags = await items(me, "tags")
    assert [(x["label"], x["slug"]) for x in tags] == [("Has projector", "has-projector"), ("Quiet", "quiet")]
    assert set(tags[0]) == {"id", "slug", "label", "color", "description", "organization_id", "tenant_id"}
    assert [x["id"] for x in await items(me, "resources", tagIds=tag)] == [a]
    assert [x["id"] for x in await items(me, "resources", isActive="false")] == [b]
    listed = {x["id"]: x for x in await items(me, "resources", resourceTypeId=room)}
    assert listed[a]["capacity"] == 12 and listed[a]["capacity_unit_value"] == "seats"

    r = await me.post(f"{B}/resources/tags/assign", json={"tagId": other, "resourceId": b})
    assert r.status_code == 201 and set(r.json()) == {"id"}, r.text
    assert (await me.post(f"{B}/resources/tags/assign", json={"tagId": other, "resourceId": b})).status_code == 409
    assert [x["id"] for x in await items(me, "resources", tagIds=f"{tag},{other}")] == [a, b]
    r = await me.post(f"{B}/resources/tags/unassign", json={"tagId": other, "resourceId": b})
    assert r.status_code == 200 and r.json() == {"id": other}
    assert (await me.post(f"{B}/resources/tags/unassign", json={"tagId": other, "resourceId": b})).status_code == 404
    r = await me.post(f"{B}/resources/tags/assign", json={"tagId": MISSING, "resourceId": b})
    assert r.status_code == 400
    r = await me.post(f"{B}/resources/tags/assign", json={"tagId": "nope"})
    assert r.status_code == 400

    # `tags` on an update: exactly those.
    assert (await me.put(f"{B}/resources", json={"id": a, "tags": [other]})).status_code == 200
    assert [x["id"] for x in await items(me, "resources", tagIds=tag)] == []
    r = await me.delete(f"{B}/tags", json={"id": other})
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert [x["id"] for x in await items(me, "resources", tagIds=other)] == []


async def test_services_events_attendees_calendar(world: World) -> None:
    me = await world.user(ALL)
    room = await created(me, "resources", {"name": "Room A"})
    member = await created(me, "team-members", {"displayName": "Ala"})
    service = await run_command(me, "booking.service.create", {
        "name": "Consultation", "durationMinutes": 30, "capacityModel": "one_to_many", "maxAttendees": 5,
        "requiredResources": [{"resourceId": room, "qty": 1}], "tags": ["vip"]})
    [s] = await items(me, "services")
    assert s["id"] == service["id"] and s["duration_minutes"] == 30 and s["capacity_model"] == "one_to_many"
    assert s["required_resources"] == [{"resourceId": room, "qty": 1}]
    assert await items(me, "services", tagIds="vip", duration="30", isActive="true") == [s]
    assert await items(me, "services", duration="45") == []
    assert (await me.post(f"{B}/services", json={"name": "x"})).status_code == 405

    async def event(title: str, start: str, end: str, status: str = "confirmed") -> str:
        out = await run_command(me, "booking.event.create", {
            "title": title, "startsAt": start, "endsAt": end, "serviceId": service["id"], "status": status,
            "resources": [{"resourceId": room}], "members": [{"memberId": member}]})
        return str(out["id"])

    first = await event("Morning", "2026-06-01T08:00:00Z", "2026-06-01T09:00:00Z")
    second = await event("Noon", "2026-06-01T11:00:00Z", "2026-06-01T12:00:00Z")
    await event("Cancelled", "2026-06-01T10:00:00Z", "2026-06-01T10:30:00Z", status="cancelled")
    await event("Next week", "2026-06-08T08:00:00Z", "2026-06-08T09:00:00Z")

    r = await me.get(f"{B}/resource-events", params={"resourceId": room, "startsAt": "2026-06-01T00:00:00Z",
                                                     "endsAt": "2026-06-02T00:00:00Z"})
    assert r.status_code == 200, r.text
    assert r.json() == {"items": [
        {"id": first, "title": "Morning", "startsAt": "2026-06-01T08:00:00Z", "endsAt": "2026-06-01T09:00:00Z",
         "status": "confirmed"},
        {"id": second, "title": "Noon", "startsAt": "2026-06-01T11:00:00Z", "endsAt": "2026-06-01T12:00:00Z",
         "status": "confirmed"}]}
    r = await me.get(f"{B}/resource-events", params={"resourceId": room, "startsAt": "2026-06-02T00:00:00Z",
                                                     "endsAt": "2026-06-01T00:00:00Z"})
    assert r.status_code == 400
    assert (await me.get(f"{B}/resource-events", params={"resourceId": room})).status_code == 400
    r = await me.get(f"{B}/resource-events", params={"resourceId": room, "startsAt": "2026-06-01T00:00:00Z",
                                                     "endsAt": "2026-06-02T00:00:00Z", "includeAvailability": "true"})
    assert r.json()["availability"] == []

    r = await me.get(f"{B}/event-options", params={"search": "o", "pageSize": 2})
    assert r.status_code == 200
    assert [i["title"] for i in r.json()["items"]] == ["Noon", "Morning"]
    assert set(r.json()["items"][0]) == {"id", "title", "startsAt", "endsAt", "status"}
    assert (await me.get(f"{B}/event-options", params={"pageSize": 1000})).status_code == 400

    attendee = await created(me, "event-attendees", {"eventId": first, "firstName": "Jan", "lastName": "Kowalski",
                                                     "email": "JAN@example.com", "tags": ["first-time"]})
    [a] = await items(me, "event-attendees", eventId=first)
    assert a["id"] == attendee and a["email"] == "jan@example.com" and a["eventTitle"] == "Morning"
    assert a["eventStartsAt"].startswith("2026-06-01T08:00:00") and a["customerDisplayName"] is None
    assert await items(me, "event-attendees", eventId=second) == []
    assert (await me.put(f"{B}/event-attendees", json={"id": attendee, "email": "nope"})).status_code == 400
    assert (await me.put(f"{B}/event-attendees", json={"id": attendee, "city": "Kraków"})).status_code == 200
    r = await me.delete(f"{B}/event-attendees", json={"id": attendee})
    assert r.status_code == 200 and r.json() == {"ok": True}


async def test_undoing_an_event_update_moves_its_calendar_entries_back(world: World) -> None:
    me = await world.user([*ALL, "audit_logs.*"])
    room_a, room_b = await created(me, "resources", {"name": "Room A"}), await created(me, "resources", {"name": "B"})
    out = await run_command(me, "booking.event.create", {
        "title": "Talk", "startsAt": "2026-06-01T08:00:00Z", "endsAt": "2026-06-01T09:00:00Z",
        "resources": [{"resourceId": room_a}]})
    await run_command(me, "booking.event.update", {"id": out["id"], "resources": [{"resourceId": room_b}]})
    day = {"startsAt": "2026-06-01T00:00:00Z", "endsAt": "2026-06-02T00:00:00Z"}

    async def titles(room: str) -> list[str]:
        r = await me.get(f"{B}/resource-events", params={"resourceId": room, **day})
        return [i["title"] for i in r.json()["items"]]

    assert (await titles(room_a), await titles(room_b)) == ([], ["Talk"])
    async with sessionmaker()() as s:
        token = (await s.execute(select(ActionLog.undo_token).where(
            ActionLog.resource_id == out["id"], ActionLog.command_id == "booking.event.update"))).scalar_one()
    r = await me.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert r.status_code == 200, r.text
    assert (await titles(room_a), await titles(room_b)) == (["Talk"], [])


async def test_undoing_a_resource_update_puts_its_tags_back(world: World) -> None:
    me = await world.user([*ALL, "audit_logs.*"])
    vip = await created(me, "tags", {"label": "VIP"})
    room = await created(me, "resources", {"name": "Room A", "tags": [vip]})
    r = await me.put(f"{B}/resources", json={"id": room, "tags": []})
    assert r.status_code == 200 and [x["id"] for x in await items(me, "resources", tagIds=vip)] == []
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    assert (await me.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})).status_code == 200
    assert [x["id"] for x in await items(me, "resources", tagIds=vip)] == [room]


ROUTES: list[tuple[str, str, list[str]]] = [
    ("GET", "teams", ["booking.view"]), ("POST", "teams", ["booking.manage_team"]),
    ("PUT", "teams", ["booking.manage_team"]), ("DELETE", "teams", ["booking.manage_team"]),
    ("GET", "team-roles", ["booking.view"]), ("POST", "team-roles", ["booking.manage_team"]),
    ("GET", "team-members", ["booking.view"]), ("POST", "team-members", ["booking.manage_team"]),
    ("POST", "team-members/tags/assign", ["booking.manage_team"]),
    ("POST", "team-members/tags/unassign", ["booking.manage_team"]),
    ("GET", "resource-types", ["booking.view"]), ("DELETE", "resource-types", ["booking.manage_resources"]),
    ("GET", "resources", ["booking.view"]), ("PUT", "resources", ["booking.manage_resources"]),
    ("POST", "resources/tags/assign", ["booking.manage_resources"]),
    ("POST", "resources/tags/unassign", ["booking.manage_resources"]),
    ("GET", "tags", ["booking.view"]), ("POST", "tags", ["booking.manage_resources"]),
    ("GET", "services", ["booking.view"]),
    ("GET", "availability", ["booking.view"]), ("POST", "availability", ["booking.manage_availability"]),
    ("POST", "availability-weekly", ["booking.manage_availability"]),
    ("POST", "availability-date-specific", ["booking.manage_availability"]),
    ("GET", "availability-rule-sets", ["booking.view"]),
    ("PUT", "availability-rule-sets", ["booking.manage_availability"]),
    ("GET", "event-attendees", ["booking.view"]), ("POST", "event-attendees", ["booking.manage_events"]),
    ("DELETE", "event-attendees", ["booking.manage_events"]),
    ("GET", "event-options", ["booking.view"]), ("GET", "resource-events", ["booking.view"]),
    ("GET", "availability-windows", ["booking.view"]),
    ("POST", "availability-import", ["booking.manage_availability"]),
]


async def test_every_route_wants_a_caller_and_its_features(world: World) -> None:
    viewer = await world.user(["booking.view"])
    nobody = await world.user([])
    for method, path, features in ROUTES:
        r = await world.client.request(method, f"{B}/{path}", json={})
        assert r.status_code == 401, (method, path, r.text)
        caller = nobody if features == ["booking.view"] else viewer
        r = await caller.client.request(method, f"{B}/{path}", json={}, headers=caller._h(None))
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["requiredFeatures"] == features, (method, path)
    r = await viewer.post(f"{B}/feeds/rotate", json={"subjectType": "resource", "subjectId": MISSING})
    assert r.status_code == 403 and "booking.manage_resources" in r.json()["requiredFeatures"]


async def test_other_tenants_rows_are_404(world: World, client: Any) -> None:
    me = await world.user(ALL)
    team = await created(me, "teams", {"name": "Mine"})
    room = await created(me, "resources", {"name": "Mine"})
    other = await World(client).user(ALL)
    assert await items(other, "teams") == []
    assert (await other.put(f"{B}/teams", json={"id": team, "name": "Theirs"})).status_code == 404
    assert (await other.delete(f"{B}/teams", json={"id": team})).status_code == 404
    r = await other.get(f"{B}/resource-events", params={"resourceId": room, "startsAt": "2026-06-01",
                                                        "endsAt": "2026-06-02"})
    assert r.status_code == 404
    r = await other.get(f"{B}/availability-windows", params={"subjectType": "resource", "subjectId": room,
                                                             "startsAt": "2026-06-01", "endsAt": "2026-06-02"})
    assert r.status_code == 404
    r = await other.post(f"{B}/availability-weekly", json={"subjectType": "resource", "subjectId": room,
                                                           "timezone": "UTC", "windows": []})
    assert r.status_code == 400 and r.json()["details"][0]["path"] == ["subjectId"]
    # A team member of the other tenant cannot point at my team.
    r = await other.post(f"{B}/team-members", json={"displayName": "Spy", "teamId": team})
    assert r.status_code == 400
    async with sessionmaker()() as s:
        assert (await s.execute(select(func.count()).select_from(Team).where(Team.id == team,
                                                                              Team.name == "Mine"))).scalar_one() == 1
