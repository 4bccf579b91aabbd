"""The booking collections as kit declarations, and the hooks that check references between them.
Lists answer snake_case items in `{items, total, totalPages}` (plus page and pageSize); deletes take
`{id}` in the body (the kit accepts `?id=` too)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import String, cast, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.crud import Envelope, Features, Fields, Filter, Hooks, Owned, Resource, Sort, Write
from api.crud import service as crud
from api.crud.query import csv_values
from api.crud.tags import TagAssignment, linked_tags, relink_tags, tag_resource
from api.errors import BadRequest
from api.modules.auth.models import User
from api.modules.booking import availability
from api.modules.booking.models import (
    AvailabilityRule,
    AvailabilityRuleSet,
    BookableResource,
    Event,
    EventAttendee,
    EventMember,
    EventResource,
    ResourceType,
    Service,
    Team,
    TeamMember,
    TeamRole,
)
from api.modules.booking.schemas import (
    AttendeeCreate,
    AttendeeUpdate,
    EventCreate,
    EventUpdate,
    ResourceCreate,
    ResourceTypeCreate,
    ResourceTypeUpdate,
    ResourceUpdate,
    RuleCreate,
    RuleSetCreate,
    RuleSetUpdate,
    RuleUpdate,
    ServiceCreate,
    ServiceUpdate,
    TeamCreate,
    TeamMemberCreate,
    TeamMemberUpdate,
    TeamRoleCreate,
    TeamRoleUpdate,
    TeamUpdate,
    dumped,
)

VIEW = "booking.view"
TAG = "Booking"
STAMPS = ("created_at", "updated_at")


def _features(manage: str) -> Features:
    return Features.view_manage(VIEW, manage)


def invalid(field: str, message: str) -> BadRequest:
    """400 naming the field as a zod-like path (`windows.1.end` -> `["windows", 1, "end"]`)."""
    path: list[str | int] = [int(p) if p.isdigit() else p for p in field.split(".")]
    return BadRequest("Invalid input", [{"path": path, "message": message}])


async def _must_see(write: Write, res: Resource, field: str, row_id: Any) -> None:
    """A referenced row must be one the caller sees (else 400 on the field, nothing stored)."""
    if row_id is None:
        return
    try:
        await crud.get_row(res, write.ctx, write.session, str(row_id))
    except Exception:  # noqa: BLE001 - NotFound: the reference is not the caller's
        raise invalid(field, f"{res.label} not found") from None


async def _count_by(session: AsyncSession, column: Any, ids: list[str], *where: Any) -> dict[str, int]:
    if not ids:
        return {}
    rows = (await session.execute(select(column, func.count()).where(column.in_(ids), *where)
                                  .group_by(column))).all()
    return {k: n for k, n in rows}


# --- teams -------------------------------------------------------------------------------------------

async def _team_counts(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    counts = await _count_by(session, TeamMember.team_id, [i["id"] for i in items], TeamMember.deleted_at.is_(None))
    for item in items:
        item["memberCount"] = counts.get(item["id"], 0)


teams = Resource(
    path="/booking/teams", model=Team, entity="booking.team", tag=TAG, label="Team",
    create_schema=TeamCreate, update_schema=TeamUpdate, features=_features("booking.manage_team"),
    envelope=Envelope.TOTAL, search=(Team.name,),
    sort=Sort((Team.name, Team.is_active, Team.created_at, Team.updated_at), default=Team.name),
    filters={"isActive": Filter.eq(Team.is_active, "Active or not")},
    fields=Fields("id", "organization_id", "tenant_id", "name", "description", "is_active", *STAMPS, casing="snake"),
    hooks=Hooks(decorate=_team_counts),
    custom_fields="booking:booking_team",
)


async def _names(session: AsyncSession, model: Any, ids: set[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = (await session.execute(select(model.id, model.name).where(model.id.in_(ids)))).all()
    return {i: {"id": i, "name": n} for i, n in rows}


async def _role_decorate(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    by_team = await _names(session, Team, {i["team_id"] for i in items if i.get("team_id")})
    ids = {i["id"] for i in items}
    counts: Counter[str] = Counter()
    for (role_ids,) in (await session.execute(select(TeamMember.role_ids).where(
            TeamMember.tenant_id == ctx.tenant_id, TeamMember.deleted_at.is_(None)))).all():
        counts.update(r for r in set(role_ids or []) if r in ids)
    for item in items:
        item["team"] = by_team.get(item.get("team_id") or "")
        item["memberCount"] = counts.get(item["id"], 0)


async def _role_refs(write: Write) -> None:
    if "team_id" in write.values:
        await _must_see(write, teams, "teamId", write.values["team_id"])


team_roles = Resource(
    path="/booking/team-roles", model=TeamRole, entity="booking.team_role", tag=TAG, label="Team role",
    create_schema=TeamRoleCreate, update_schema=TeamRoleUpdate, features=_features("booking.manage_team"),
    envelope=Envelope.TOTAL, search=(TeamRole.name,),
    sort=Sort((TeamRole.name, TeamRole.created_at, TeamRole.updated_at), default=TeamRole.name),
    filters={"teamId": Filter.eq(TeamRole.team_id, "Roles of this team")},
    fields=Fields("id", "organization_id", "tenant_id", "team_id", "name", "description", "appearance_icon",
                  "appearance_color", *STAMPS, casing="snake"),
    hooks=Hooks(before_create=_role_refs, before_update=_role_refs, decorate=_role_decorate),
)


# --- availability rule sets (members and resources point to them) ---------------------------------------

def _zone_of(write: Write) -> None:
    if "timezone" in write.values:
        try:
            availability.zone(write.values["timezone"])
        except availability.RuleError as exc:
            raise invalid("timezone", exc.message) from None


async def _rule_set_checks(write: Write) -> None:
    _zone_of(write)


rule_sets = Resource(
    path="/booking/availability-rule-sets", model=AvailabilityRuleSet, entity="booking.availability_rule_set",
    tag=TAG, label="Availability rule set", create_schema=RuleSetCreate, update_schema=RuleSetUpdate,
    features=_features("booking.manage_availability"), envelope=Envelope.TOTAL,
    search=(AvailabilityRuleSet.name,),
    sort=Sort((AvailabilityRuleSet.name, AvailabilityRuleSet.timezone, AvailabilityRuleSet.created_at,
               AvailabilityRuleSet.updated_at), default=AvailabilityRuleSet.name),
    fields=Fields("id", "organization_id", "tenant_id", "name", "description", "timezone", *STAMPS, casing="snake"),
    # A rule set's rules go with it (soft), and come back with its undo.
    owns=(Owned(AvailabilityRule.subject_id, where=(AvailabilityRule.subject_type == "ruleset",)),),
    hooks=Hooks(before_create=_rule_set_checks, before_update=_rule_set_checks),
)


# --- team members --------------------------------------------------------------------------------------

def _role_filter(stmt: Any, raw: str) -> Any:
    # role_ids is a JSON list of UUIDs: its text contains the quoted id (portable across SQLite and
    # PostgreSQL; a UUID cannot match a part of another).
    return stmt.where(cast(TeamMember.role_ids, String).like(f'%"{raw.strip()}"%'))


async def _member_decorate(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    by_team = await _names(session, Team, {i["team_id"] for i in items if i.get("team_id")})
    user_ids = {i["user_id"] for i in items if i.get("user_id")}
    users: dict[str, dict[str, Any]] = {}
    if user_ids:
        rows = (await session.execute(select(User.id, User.email).where(
            User.id.in_(user_ids), User.tenant_id == ctx.tenant_id))).all()
        users = {i: {"id": i, "email": e} for i, e in rows}
    for item in items:
        item["user"] = users.get(item.get("user_id") or "")
        item["team"] = by_team.get(item.get("team_id") or "")


async def _member_refs(write: Write) -> None:
    v = write.values
    if "team_id" in v:
        await _must_see(write, teams, "teamId", v["team_id"])
    if "availability_rule_set_id" in v:
        await _must_see(write, rule_sets, "availabilityRuleSetId", v["availability_rule_set_id"])
    if v.get("role_ids"):
        v["role_ids"] = list(dict.fromkeys(v["role_ids"]))
        for index, role_id in enumerate(v["role_ids"]):
            await _must_see(write, team_roles, f"roleIds.{index}", role_id)
    if "tags" in v:
        v["tags"] = list(dict.fromkeys(t.strip() for t in v["tags"] or [] if t.strip()))
    if v.get("user_id"):
        found = (await write.session.execute(select(User.id).where(
            User.id == v["user_id"], User.tenant_id == write.ctx.tenant_id))).first()
        if found is None:
            raise invalid("userId", "User not found")


team_members = Resource(
    path="/booking/team-members", model=TeamMember, entity="booking.team_member", tag=TAG, label="Team member",
    create_schema=TeamMemberCreate, update_schema=TeamMemberUpdate, features=_features("booking.manage_team"),
    envelope=Envelope.TOTAL, search=(TeamMember.display_name,),
    sort=Sort((TeamMember.display_name, TeamMember.is_active, TeamMember.created_at, TeamMember.updated_at),
              default=TeamMember.display_name),
    filters={"isActive": Filter.eq(TeamMember.is_active, "Active or not"),
             "teamId": Filter.eq(TeamMember.team_id, "Members of this team"),
             "roleId": Filter.using(_role_filter, "Members holding this role")},
    fields=Fields("id", "organization_id", "tenant_id", "team_id", "display_name", "description", "user_id",
                  "role_ids", "tags", "availability_rule_set_id", "is_active", *STAMPS, casing="snake"),
    hooks=Hooks(before_create=_member_refs, before_update=_member_refs, decorate=_member_decorate),
    custom_fields="booking:booking_team_member",
)


# --- resource types, resources, tags ---------------------------------------------------------------------

async def _type_counts(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    counts = await _count_by(session, BookableResource.resource_type_id, [i["id"] for i in items],
                             BookableResource.deleted_at.is_(None))
    for item in items:
        item["resourceCount"] = counts.get(item["id"], 0)


resource_types = Resource(
    path="/booking/resource-types", model=ResourceType, entity="booking.resource_type", tag=TAG,
    label="Resource type", create_schema=ResourceTypeCreate, update_schema=ResourceTypeUpdate,
    features=_features("booking.manage_resources"), envelope=Envelope.TOTAL, search=(ResourceType.name,),
    sort=Sort((ResourceType.name, ResourceType.created_at, ResourceType.updated_at), default=ResourceType.name),
    fields=Fields("id", "organization_id", "tenant_id", "name", "description", "appearance_icon", "appearance_color",
                  *STAMPS, casing="snake"),
    hooks=Hooks(decorate=_type_counts),
)

tags = tag_resource(path="/booking/tags", namespace="booking", features=_features("booking.manage_resources"),
                    tag=TAG, label="Resource tag")
RESOURCE_TAGS = "booking.resource"


async def _resource_refs(write: Write) -> None:
    v = write.values
    if "resource_type_id" in v:
        await _must_see(write, resource_types, "resourceTypeId", v["resource_type_id"])
    if "availability_rule_set_id" in v:
        await _must_see(write, rule_sets, "availabilityRuleSetId", v["availability_rule_set_id"])
    wanted = getattr(write.body, "tags", None)
    if wanted is not None:
        for index, tag_id in enumerate(wanted):
            await _must_see(write, tags, f"tags.{index}", tag_id)


async def _resource_tags(write: Write) -> None:
    """`tags` on a create or update: the resource's tags become exactly those."""
    from api.crud.tags import assign
    wanted = getattr(write.body, "tags", None)
    if wanted is None:
        return
    await write.session.execute(delete(TagAssignment).where(
        TagAssignment.entity_type == RESOURCE_TAGS, TagAssignment.entity_id == write.row.id))
    for tag_id in dict.fromkeys(wanted):
        await assign(write.session, write.ctx, tags=tags, target=resources, entity_type=RESOURCE_TAGS,
                     tag_id=tag_id, entity_id=write.row.id)


async def _resource_tag_ids(session: AsyncSession, row: BookableResource) -> dict[str, Any]:
    return {"tagIds": await linked_tags(session, RESOURCE_TAGS, row.id)}


async def _relink_resource_tags(session: AsyncSession, row: BookableResource, snap: dict[str, Any]) -> None:
    if isinstance(ids := snap.get("tagIds"), list):
        await relink_tags(session, RESOURCE_TAGS, row, ids)


resources = Resource(
    path="/booking/resources", model=BookableResource, entity="booking.resource", tag=TAG, label="Resource",
    create_schema=ResourceCreate, update_schema=ResourceUpdate, features=_features("booking.manage_resources"),
    envelope=Envelope.TOTAL, search=(BookableResource.name,),
    sort=Sort((BookableResource.name, BookableResource.capacity, BookableResource.is_active,
               BookableResource.created_at, BookableResource.updated_at), default=BookableResource.name),
    filters={"resourceTypeId": Filter.eq(BookableResource.resource_type_id, "Resources of this type"),
             "isActive": Filter.eq(BookableResource.is_active, "Active or not"),
             "tagIds": Filter.tags(BookableResource.id, RESOURCE_TAGS)},
    fields=Fields("id", "organization_id", "tenant_id", "name", "description", "resource_type_id", "capacity",
                  "capacity_unit_value", "capacity_unit_name", "capacity_unit_color", "capacity_unit_icon",
                  "appearance_icon", "appearance_color", "is_active", "availability_rule_set_id", *STAMPS,
                  casing="snake"),
    hooks=Hooks(before_create=_resource_refs, before_update=_resource_refs, after_create=_resource_tags,
                after_update=_resource_tags, snapshot_extra=_resource_tag_ids, restore_extra=_relink_resource_tags),
    custom_fields="booking:booking_resource",
)


# --- services (read API) -------------------------------------------------------------------------------

def _service_tags(stmt: Any, raw: str) -> Any:
    from sqlalchemy import or_
    wanted = csv_values(raw)
    return stmt.where(or_(*[cast(Service.tags, String).like(f'%"{t}"%') for t in wanted])) if wanted else stmt


async def _service_values(write: Write) -> None:
    v, body = write.values, write.body
    for key in ("required_roles", "required_members", "required_resources", "required_resource_types"):
        if key in v:
            v[key] = [dumped(x) for x in getattr(body, key) or []]
    model = write.value("capacity_model")
    if model and model != "one_to_one" and not write.value("max_attendees"):
        raise invalid("maxAttendees", "maxAttendees is required for capacity models with multiple attendees.")


services = Resource(
    path="/booking/services", model=Service, entity="booking.service", tag=TAG, label="Service",
    create_schema=ServiceCreate, update_schema=ServiceUpdate, features=_features("booking.manage_resources"),
    operations=frozenset({"list"}), envelope=Envelope.TOTAL, search=(Service.name,),
    sort=Sort((Service.name, Service.duration_minutes, Service.max_attendees, Service.is_active,
               Service.created_at, Service.updated_at), default=Service.name),
    filters={"isActive": Filter.eq(Service.is_active, "Active or not"),
             "tagIds": Filter.using(_service_tags, "Comma-separated tags (any of)"),
             "duration": Filter.eq(Service.duration_minutes, "Duration in minutes"),
             "maxAttendees": Filter.eq(Service.max_attendees, "Maximum attendees")},
    fields=Fields("id", "organization_id", "tenant_id", "name", "description", "duration_minutes", "capacity_model",
                  "max_attendees", "required_roles", "required_members", "required_resources",
                  "required_resource_types", "tags", "is_active", *STAMPS, casing="snake"),
    hooks=Hooks(before_create=_service_values, before_update=_service_values),
)


# --- availability rules --------------------------------------------------------------------------------

SUBJECTS: dict[str, Resource] = {"member": team_members, "resource": resources, "ruleset": rule_sets}


async def _rule_checks(write: Write) -> None:
    """Rules are read before they are stored: a bad RRULE, time zone or exdate is a 400 naming the field."""
    subject_type, subject_id = write.value("subject_type"), write.value("subject_id")
    if {"subject_type", "subject_id"} & set(write.values):
        field = "subjectId"
        await _must_see(write, SUBJECTS[subject_type], field, subject_id)
    if {"rrule", "timezone", "exdates"} & set(write.values):
        write.values["rrule"] = availability.clean_rule_text(write.value("rrule"))
        try:
            availability.validate(write.values["rrule"], write.value("timezone"), write.value("exdates") or [])
        except availability.RuleError as exc:
            raise invalid(exc.field, exc.message) from None


def _subject_ids(stmt: Any, raw: str) -> Any:
    return stmt.where(AvailabilityRule.subject_id.in_(csv_values(raw)))


rules = Resource(
    path="/booking/availability", model=AvailabilityRule, entity="booking.availability_rule", tag=TAG,
    label="Availability rule", create_schema=RuleCreate, update_schema=RuleUpdate,
    features=_features("booking.manage_availability"), envelope=Envelope.TOTAL,
    search=(AvailabilityRule.note,),
    sort=Sort((AvailabilityRule.created_at, AvailabilityRule.updated_at, AvailabilityRule.kind,
               AvailabilityRule.subject_type), default=AvailabilityRule.created_at, tiebreak=AvailabilityRule.id),
    filters={"subjectType": Filter.eq(AvailabilityRule.subject_type, "member, resource or ruleset",
                                      choices=("member", "resource", "ruleset")),
             "subjectIds": Filter.using(_subject_ids, "Comma-separated subject ids"),
             "kind": Filter.eq(AvailabilityRule.kind, "availability or unavailability",
                               choices=("availability", "unavailability"))},
    fields=Fields("id", "organization_id", "tenant_id", "subject_type", "subject_id", "timezone", "rrule", "exdates",
                  "kind", "note", *STAMPS, casing="snake"),
    hooks=Hooks(before_create=_rule_checks, before_update=_rule_checks),
)


# --- events (no routes: workflows write them) and attendees -------------------------------------------------

async def _event_values(write: Write) -> None:
    v, body = write.values, write.body
    starts, ends = write.value("starts_at"), write.value("ends_at")
    if starts is not None and ends is not None and starts >= ends:
        raise invalid("endsAt", "startsAt must be before endsAt.")
    for key in ("members", "resources"):
        if key in v:
            v[key] = [dumped(x) for x in getattr(body, key) or []]
    for index, link in enumerate(v.get("resources") or []):
        await _must_see(write, resources, f"resources.{index}.resourceId", link["resourceId"])
    for index, link in enumerate(v.get("members") or []):
        await _must_see(write, team_members, f"members.{index}.memberId", link["memberId"])
    if v.get("service_id"):
        await _must_see(write, services, "serviceId", v["service_id"])


async def _index_event(session: AsyncSession, row: Event, *, resources: bool = True, members: bool = True) -> None:
    """The resource and member indexes the calendars and feeds read, rewritten from the event's lists."""
    if resources:
        await session.execute(delete(EventResource).where(EventResource.event_id == row.id))
        for link in row.resources or []:
            session.add(EventResource(event_id=row.id, resource_id=link["resourceId"], qty=link.get("qty", 1),
                                      tenant_id=row.tenant_id, organization_id=row.organization_id))
    if members:
        await session.execute(delete(EventMember).where(EventMember.event_id == row.id))
        for link in row.members or []:
            session.add(EventMember(event_id=row.id, member_id=link["memberId"], role_id=link.get("roleId"),
                                    tenant_id=row.tenant_id, organization_id=row.organization_id))


async def _event_links(write: Write) -> None:
    creating = write.action == "create"
    await _index_event(write.session, write.row, resources=creating or "resources" in write.values,
                       members=creating or "members" in write.values)


async def _event_undone(session: AsyncSession, row: Event, left: dict[str, Any] | None) -> None:
    # Undo and redo put the event's lists back; the indexes follow them.
    await _index_event(session, row)


events = Resource(
    path="/booking/events", model=Event, entity="booking.event", tag=TAG, label="Event",
    create_schema=EventCreate, update_schema=EventUpdate, features=_features("booking.manage_events"),
    operations=frozenset(), envelope=Envelope.TOTAL, search=(Event.title,),
    sort=Sort((Event.starts_at, Event.title), default=Event.starts_at),
    fields=Fields("id", "organization_id", "tenant_id", "service_id", "title", "starts_at", "ends_at", "timezone",
                  "status", "members", "resources", "tags", *STAMPS, casing="snake"),
    hooks=Hooks(before_create=_event_values, before_update=_event_values, after_create=_event_links,
                after_update=_event_links, after_undo=_event_undone),
)


async def _attendee_decorate(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    ids = {i["event_id"] for i in items}
    found = {e.id: e for e in (await session.execute(select(Event).where(Event.id.in_(ids)))).scalars()} if ids \
        else {}
    for item in items:
        event = found.get(item["event_id"])
        item["eventTitle"] = event.title if event else None
        item["eventStartsAt"] = event.starts_at.isoformat() if event else None
        item["eventEndsAt"] = event.ends_at.isoformat() if event else None
        # Customers live in another module; without its public service there is no name to show.
        item["customerDisplayName"] = None
        item["customerKind"] = None


async def _attendee_refs(write: Write) -> None:
    if "event_id" in write.values:
        await _must_see(write, events, "eventId", write.values["event_id"])
    if "email" in write.values and write.values["email"] is not None:
        write.values["email"] = str(write.values["email"]).lower()


attendees = Resource(
    path="/booking/event-attendees", model=EventAttendee, entity="booking.event_attendee", tag=TAG,
    label="Event attendee", create_schema=AttendeeCreate, update_schema=AttendeeUpdate,
    features=_features("booking.manage_events"), envelope=Envelope.TOTAL,
    search=(EventAttendee.first_name, EventAttendee.last_name, EventAttendee.email),
    sort=Sort((EventAttendee.last_name, EventAttendee.first_name, EventAttendee.email, EventAttendee.created_at,
               EventAttendee.updated_at), default=EventAttendee.last_name),
    filters={"eventId": Filter.eq(EventAttendee.event_id, "Attendees of this event"),
             "customerId": Filter.eq(EventAttendee.customer_id, "Attendees linked to this customer")},
    fields=Fields("id", "organization_id", "tenant_id", "event_id", "customer_id", "first_name", "last_name", "email",
                  "phone", "address_line1", "address_line2", "city", "region", "postal_code", "country",
                  "attendee_type", "external_ref", "tags", "notes", *STAMPS, casing="snake"),
    hooks=Hooks(before_create=_attendee_refs, before_update=_attendee_refs, decorate=_attendee_decorate),
    custom_fields="booking:booking_event_attendee",
)

ALL = (teams, team_roles, team_members, resource_types, tags, resources, services, rule_sets, rules, events,
       attendees)
