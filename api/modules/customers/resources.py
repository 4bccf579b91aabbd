"""The CRM's collections, each a declaration for the kit, and the hooks that keep what does not fit a
column: a customer's kind-specific profile, its tags, a deal's participants, one primary address."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

import api.modules.example.service as example
from api import audit
from api.auth import AuthContext
from api.casing import jsonable
from api.crud import (
    CustomFields,
    Envelope,
    Exclusive,
    Features,
    Fields,
    Filter,
    Hooks,
    Parent,
    Resource,
    Sort,
    Write,
    shape,
)
from api.crud import service as crud
from api.crud.query import parse_bool
from api.crud.tags import Tag, TagAssignment, linked_tags, relink_tags, tag_resource
from api.db import new_id
from api.errors import BadRequest, NotFound
from api.modules.auth.models import User
from api.modules.customers.models import (
    Activity,
    Address,
    Comment,
    Company,
    CompanyProfile,
    CustomerEntity,
    Deal,
    DealCompany,
    DealPerson,
    DictionaryEntry,
    Person,
    PersonProfile,
    TodoLink,
)
from api.modules.customers.schemas import (
    ActivityCreate,
    ActivityUpdate,
    AddressCreate,
    AddressUpdate,
    CommentCreate,
    CommentUpdate,
    CompanyCreate,
    CompanyUpdate,
    DealCreate,
    DealUpdate,
    PersonCreate,
    PersonUpdate,
    TodoLinkCreate,
)

TAG = "Customers"
NAMESPACE = "customers"
# Tag assignments name customers (people and companies alike) by this entity type.
TAG_ENTITY = "customers:customer_entity"
PERSON_FIELDS = CustomFields("customers:customer_person_profile")
COMPANY_FIELDS = CustomFields("customers:customer_company_profile")
DEAL_FIELDS = CustomFields("customers:customer_deal")
ACTIVITY_FIELDS = CustomFields("customers:customer_activity")

ACTIVITIES = Features.view_manage("customers.activities.view", "customers.activities.manage")

PERSON_PROFILE = ("first_name", "last_name", "preferred_name", "job_title", "department", "seniority", "timezone",
                  "linked_in_url", "twitter_url", "company_entity_id")
COMPANY_PROFILE = ("legal_name", "brand_name", "domain", "website_url", "industry", "size_bucket", "annual_revenue")
ENTITY_ITEM = ("id", "display_name", "description", "owner_user_id", "primary_email", "primary_phone", "status",
               "lifecycle_stage", "source", "next_interaction_at", "next_interaction_name", "next_interaction_ref_id",
               "next_interaction_icon", "next_interaction_color", "is_active", "organization_id", "tenant_id",
               "created_at", "updated_at")


def digits(phone: str | None) -> str | None:
    only = re.sub(r"\D", "", phone or "")
    return only or None


# --- any customer, for the collections that hang off one (never served itself) ----------------------------

customers = Resource(path="/customers/entities", model=CustomerEntity, entity="customers.entity",
                     features=Features.view_manage("customers.people.view", "customers.people.manage"),
                     tag=TAG, label="Customer", create_schema=None, update_schema=None, operations=frozenset())


async def visible_customer(session: Any, ctx: AuthContext, entity_id: str) -> CustomerEntity:
    row: CustomerEntity = await crud.get_row(customers, ctx, session, entity_id)
    return row


tags = tag_resource(path="/customers/tags", namespace=NAMESPACE, features=ACTIVITIES, tag=TAG,
                    envelope=Envelope.TOTAL)


async def _visible_ids(session: Any, ctx: AuthContext, res: Resource, ids: list[str], field: str) -> list[str]:
    """`ids` when every one is a live row of `res` the caller sees (one query), else a 400 naming `field`."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    model: Any = res.model
    found = set((await session.execute(crud.scoped(res, ctx).where(
        model.id.in_(wanted), model.deleted_at.is_(None)).with_only_columns(model.id))).scalars())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise BadRequest("Invalid input", [{"path": [field], "message": f"{res.label} not found: {missing[0]}"}])
    return wanted


async def _set_tags(write: Write) -> None:
    """`tags: [tagId]` on a customer's create or update replaces its tags with those (visible) tags."""
    wanted = getattr(write.body, "tags", None)
    if wanted is None:
        return
    ids = await _visible_ids(write.session, write.ctx, tags, wanted, "tags")
    row = write.row
    await write.session.execute(delete(TagAssignment).where(
        TagAssignment.entity_type == TAG_ENTITY, TagAssignment.entity_id == row.id,
        TagAssignment.tag_id.not_in(ids)))
    have = set((await write.session.execute(select(TagAssignment.tag_id).where(
        TagAssignment.entity_type == TAG_ENTITY, TagAssignment.entity_id == row.id))).scalars())
    for tag_id in ids:
        if tag_id not in have:
            write.session.add(TagAssignment(tag_id=tag_id, entity_type=TAG_ENTITY, entity_id=row.id,
                                            tenant_id=row.tenant_id, organization_id=row.organization_id))


def _entity_values(write: Write) -> None:
    """Columns derived from the body: the next interaction's parts and the phone's digits."""
    body, values = write.body, write.values
    if "next_interaction" in write.given:
        nxt = body.next_interaction
        values.update(next_interaction_at=nxt.at if nxt else None, next_interaction_name=nxt.name if nxt else None,
                      next_interaction_ref_id=nxt.ref_id if nxt else None,
                      next_interaction_icon=nxt.icon if nxt else None,
                      next_interaction_color=nxt.color if nxt else None)
    if "primary_phone" in values:
        values["phone_digits"] = digits(values["primary_phone"])
    if "primary_email" in values and values["primary_email"]:
        values["primary_email"] = str(values["primary_email"]).lower()


async def _phone_digits_again(session: AsyncSession, row: Any, left: dict[str, Any] | None) -> None:
    # Undo and redo put `primary_phone` back; its digits (hidden, so not in the snapshot) follow it.
    row.phone_digits = digits(row.primary_phone)


async def _check_refs(write: Write) -> None:
    body = write.body
    if getattr(body, "tags", None):
        await _visible_ids(write.session, write.ctx, tags, body.tags, "tags")
    if getattr(body, "company_entity_id", None):
        await _visible_ids(write.session, write.ctx, companies, [body.company_entity_id], "companyEntityId")


def _profile_values(write: Write, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(write.body, n) for n in names if n in write.given}


async def _person_before_create(write: Write) -> None:
    await _check_refs(write)
    _entity_values(write)
    if not write.values.get("display_name"):
        write.values["display_name"] = f"{write.body.first_name} {write.body.last_name}"


async def _before_update(write: Write) -> None:
    await _check_refs(write)
    _entity_values(write)


async def _company_before_create(write: Write) -> None:
    await _check_refs(write)
    _entity_values(write)


async def _person_after_create(write: Write) -> None:
    row = write.row
    profile = PersonProfile(id=new_id(), entity_id=row.id, tenant_id=row.tenant_id,
                            organization_id=row.organization_id,
                            **_profile_values(write, PERSON_PROFILE))
    write.session.add(profile)
    write.extra["profile_id"] = profile.id
    await _set_tags(write)


async def _company_after_create(write: Write) -> None:
    row = write.row
    profile = CompanyProfile(id=new_id(), entity_id=row.id, tenant_id=row.tenant_id,
                             organization_id=row.organization_id,
                             **_profile_values(write, COMPANY_PROFILE))
    write.session.add(profile)
    write.extra["profile_id"] = profile.id
    await _set_tags(write)


def _after_update(model: Any, names: tuple[str, ...]) -> Any:
    async def after_update(write: Write) -> None:
        changes = _profile_values(write, names)
        if changes:
            await write.session.execute(update(model).where(model.entity_id == write.row.id).values(**changes))
        await _set_tags(write)
    return after_update


def _profile_and_tags(model: Any, names: tuple[str, ...]) -> tuple[Any, Any]:
    """`snapshot_extra` and `restore_extra` of a person or company: its profile (a row of its own) and its tags
    belong in its audit snapshot, so that undo puts them back with the customer's columns."""
    async def snapshot(session: AsyncSession, row: Any) -> dict[str, Any]:
        # Read as stored, not from a session object that may hold a write's values as the request gave them
        # (5000000 where the column holds 5000000.00): undo compares this with what it reads later.
        await session.flush()
        profile = (await session.execute(select(*(getattr(model, n) for n in names))
                                         .where(model.entity_id == row.id))).first()
        return {"profile": {n: jsonable(v) for n, v in zip(names, profile, strict=True)} if profile is not None
                else None, "tagIds": await linked_tags(session, TAG_ENTITY, row.id)}

    async def restore(session: AsyncSession, row: Any, snap: dict[str, Any]) -> None:
        profile = (await session.execute(select(model).where(model.entity_id == row.id))).scalars().first()
        if profile is not None and isinstance(values := snap.get("profile"), dict):
            audit.restore(profile, {n: values[n] for n in names if n in values})
        if isinstance(wanted := snap.get("tagIds"), list):
            await relink_tags(session, TAG_ENTITY, row, wanted)

    return snapshot, restore


PERSON_STATE = _profile_and_tags(PersonProfile, PERSON_PROFILE)
COMPANY_STATE = _profile_and_tags(CompanyProfile, COMPANY_PROFILE)


def _entity_filters(model: Any) -> dict[str, Filter]:
    email = model.primary_email
    return {
        "email": Filter.using(lambda stmt, raw: stmt.where(func.lower(email) == raw.strip().lower()),
                              "Primary e-mail equals (case aside)"),
        "emailStartsWith": Filter.prefix(email, "Primary e-mail starts with"),
        "emailContains": Filter.contains(email, "Primary e-mail contains"),
        "status": Filter.eq(model.status, "Status (dictionary value)"),
        "lifecycleStage": Filter.eq(model.lifecycle_stage, "Lifecycle stage (dictionary value)"),
        "source": Filter.eq(model.source, "Source (dictionary value)"),
        "isActive": Filter.eq(model.is_active, "Active or not"),
        "ownerUserId": Filter.eq(model.owner_user_id, "Owned by this user"),
        "hasEmail": Filter.has(email, "true: with a primary e-mail; false: without"),
        "hasPhone": Filter.has(model.primary_phone, "true: with a primary phone; false: without"),
        "hasNextInteraction": Filter.has(model.next_interaction_at, "true: with a next interaction planned"),
        "createdFrom": Filter.min(model.created_at, "Created at or after (ISO date)"),
        "createdTo": Filter.max(model.created_at, "Created at or before (ISO date)"),
        "tagIds": Filter.tags(model.id, TAG_ENTITY),
        "tagIdsEmpty": Filter.untagged(model.id, TAG_ENTITY),
    }


def _entity_sort(model: Any) -> Sort:
    return Sort((model.display_name, model.created_at, model.updated_at, model.primary_email, model.status,
                 model.lifecycle_stage, model.source, model.next_interaction_at),
                default=model.created_at, direction="desc", named={"name": model.display_name})


people = Resource(
    path="/customers/people", model=Person, entity="customers.person",
    create_schema=PersonCreate, update_schema=PersonUpdate,
    features=Features.view_manage("customers.people.view", "customers.people.manage"),
    tag=TAG, label="Person", plural="People",
    search=(Person.display_name, Person.primary_email), sort=_entity_sort(Person), filters=_entity_filters(Person),
    envelope=Envelope.TOTAL, fields=Fields(*ENTITY_ITEM, casing="snake"), custom_fields=PERSON_FIELDS,
    hooks=Hooks(before_create=_person_before_create, after_create=_person_after_create,
                before_update=_before_update, after_update=_after_update(PersonProfile, PERSON_PROFILE),
                snapshot_extra=PERSON_STATE[0], restore_extra=PERSON_STATE[1], after_undo=_phone_digits_again,
                created_body=lambda w: {"id": w.row.id, "personId": w.extra["profile_id"]}),
    created_schema=shape(id="string", personId="string"),
    hidden=frozenset({"phone_digits"}),
)

companies = Resource(
    path="/customers/companies", model=Company, entity="customers.company",
    create_schema=CompanyCreate, update_schema=CompanyUpdate,
    features=Features.view_manage("customers.companies.view", "customers.companies.manage"),
    tag=TAG, label="Company", plural="Companies",
    search=(Company.display_name, Company.primary_email), sort=_entity_sort(Company),
    filters=_entity_filters(Company),
    envelope=Envelope.TOTAL, fields=Fields(*ENTITY_ITEM, casing="snake"), custom_fields=COMPANY_FIELDS,
    hooks=Hooks(before_create=_company_before_create, after_create=_company_after_create,
                before_update=_before_update, after_update=_after_update(CompanyProfile, COMPANY_PROFILE),
                snapshot_extra=COMPANY_STATE[0], restore_extra=COMPANY_STATE[1], after_undo=_phone_digits_again,
                created_body=lambda w: {"id": w.row.id, "companyId": w.extra["profile_id"]}),
    created_schema=shape(id="string", companyId="string"),
    hidden=frozenset({"phone_digits"}),
)


# --- deals -------------------------------------------------------------------------------------------

async def _deal_before(write: Write) -> None:
    body = write.body
    people_ids = [p.id for p in (body.people or [])] + list(body.person_ids or [])
    write.extra["people"] = await _visible_ids(write.session, write.ctx, people, people_ids, "personIds") \
        if body.people is not None or body.person_ids is not None else None
    write.extra["companies"] = await _visible_ids(write.session, write.ctx, companies, body.company_ids,
                                                  "companyIds") if body.company_ids is not None else None
    if write.values.get("value_currency"):
        write.values["value_currency"] = write.values["value_currency"].upper()
    if write.action == "create" and not write.values.get("status"):
        write.values["status"] = "open"


async def _set_participants(session: AsyncSession, row: Deal, people_roles: dict[str, str | None] | None,
                            company_ids: list[str] | None) -> None:
    """The deal's people (with their roles) and companies become these; None leaves a kind as it is."""
    if people_roles is not None:
        await session.execute(delete(DealPerson).where(DealPerson.deal_id == row.id))
        for pid, role in people_roles.items():
            session.add(DealPerson(deal_id=row.id, person_entity_id=pid, participant_role=role,
                                   tenant_id=row.tenant_id, organization_id=row.organization_id))
    if company_ids is not None:
        await session.execute(delete(DealCompany).where(DealCompany.deal_id == row.id))
        for cid in company_ids:
            session.add(DealCompany(deal_id=row.id, company_entity_id=cid, tenant_id=row.tenant_id,
                                    organization_id=row.organization_id))


async def _deal_links(write: Write) -> None:
    """Replaces the deal's participants with the ones the body names (when it names any)."""
    roles = {p.id: p.participant_role for p in (write.body.people or [])}
    people_ids = write.extra.get("people")
    await _set_participants(write.session, write.row,
                            {pid: roles.get(pid) for pid in people_ids} if people_ids is not None else None,
                            write.extra.get("companies"))


async def _deal_snapshot(session: Any, row: Any) -> dict[str, Any]:
    people_rows = (await session.execute(select(DealPerson.person_entity_id, DealPerson.participant_role).where(
        DealPerson.deal_id == row.id).order_by(DealPerson.person_entity_id))).all()
    company_ids = (await session.execute(select(DealCompany.company_entity_id).where(
        DealCompany.deal_id == row.id).order_by(DealCompany.company_entity_id))).scalars().all()
    return {"personIds": [pid for pid, _ in people_rows], "companyIds": list(company_ids),
            "participantRoles": {pid: role for pid, role in people_rows if role is not None}}


async def _deal_restore(session: AsyncSession, row: Deal, snap: dict[str, Any]) -> None:
    """Undo and redo: the participants `_deal_snapshot` recorded, those still live."""
    async def live(model: Any, ids: Any) -> list[str]:
        if not isinstance(ids, list):
            return []
        found = set((await session.execute(select(model.id).where(model.id.in_(ids), model.deleted_at.is_(None))))
                    .scalars())
        return [i for i in ids if i in found]

    roles = snap.get("participantRoles") or {}
    await _set_participants(session, row, {pid: roles.get(pid) for pid in await live(Person, snap.get("personIds"))}
                            if "personIds" in snap else None,
                            await live(Company, snap.get("companyIds")) if "companyIds" in snap else None)


def _linked(link: Any, column: Any) -> Any:
    def apply(stmt: Any, raw: str) -> Any:
        return stmt.where(exists().where(link.deal_id == Deal.id, column == raw.strip()))
    return apply


deals = Resource(
    path="/customers/deals", model=Deal, entity="customers.deal",
    create_schema=DealCreate, update_schema=DealUpdate,
    features=Features.view_manage("customers.deals.view", "customers.deals.manage"),
    tag=TAG, label="Deal",
    search=(Deal.title, Deal.description),
    sort=Sort((Deal.title, Deal.status, Deal.pipeline_stage, Deal.value_amount, Deal.probability,
               Deal.expected_close_at, Deal.created_at, Deal.updated_at), default=Deal.created_at, direction="desc"),
    filters={
        "status": Filter.eq(Deal.status, "Status (dictionary value)"),
        "pipelineStage": Filter.eq(Deal.pipeline_stage, "Pipeline stage (dictionary value)"),
        "ownerUserId": Filter.eq(Deal.owner_user_id, "Owned by this user"),
        "personEntityId": Filter.using(_linked(DealPerson, DealPerson.person_entity_id), "Deals of this person"),
        "companyEntityId": Filter.using(_linked(DealCompany, DealCompany.company_entity_id),
                                        "Deals of this company"),
        "createdFrom": Filter.min(Deal.created_at, "Created at or after (ISO date)"),
        "createdTo": Filter.max(Deal.created_at, "Created at or before (ISO date)"),
        "expectedCloseFrom": Filter.min(Deal.expected_close_at, "Expected to close at or after (ISO date)"),
        "expectedCloseTo": Filter.max(Deal.expected_close_at, "Expected to close at or before (ISO date)"),
    },
    envelope=Envelope.TOTAL,
    fields=Fields("id", "title", "description", "status", "pipeline_stage", "value_amount", "value_currency",
                  "probability", "expected_close_at", "owner_user_id", "source", "organization_id", "tenant_id",
                  "created_at", "updated_at", casing="snake",
                  computed={"organizationId": lambda r: r.organization_id, "tenantId": lambda r: r.tenant_id}),
    custom_fields=DEAL_FIELDS,
    hooks=Hooks(before_create=_deal_before, before_update=_deal_before, after_create=_deal_links,
                after_update=_deal_links, snapshot_extra=_deal_snapshot, restore_extra=_deal_restore),
)


# --- the timeline: activities and comments; addresses ---------------------------------------------------

async def _timeline_before(write: Write) -> None:
    deal_id = write.values.get("deal_id")
    if deal_id:
        await _visible_ids(write.session, write.ctx, deals, [deal_id], "dealId")
    if write.action == "create" and not write.values.get("author_user_id") and not write.ctx.is_api_key:
        write.values["author_user_id"] = write.ctx.user_id


async def _people_names(session: Any, user_ids: set[str]) -> dict[str, tuple[str | None, str | None]]:
    if not user_ids:
        return {}
    rows = (await session.execute(select(User.id, User.name, User.email).where(User.id.in_(user_ids)))).all()
    return {r.id: (r.name, r.email) for r in rows}


async def _activity_decorate(session: Any, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    """Author names, deal titles and activity type labels of a page, in one query each."""
    users = await _people_names(session, {i["authorUserId"] for i in items if i.get("authorUserId")})
    deal_ids = {i["dealId"] for i in items if i.get("dealId")}
    titles = dict((await session.execute(select(Deal.id, Deal.title).where(Deal.id.in_(deal_ids)))).all()) \
        if deal_ids else {}
    types = {i["activityType"] for i in items if i.get("activityType")}
    labels = dict((await session.execute(select(DictionaryEntry.normalized_value, DictionaryEntry.label).where(
        DictionaryEntry.tenant_id == ctx.tenant_id, DictionaryEntry.kind == "activity_type",
        DictionaryEntry.normalized_value.in_([t.strip().lower() for t in types]))))
        .all()) if types else {}
    for item in items:
        name, email = users.get(item.get("authorUserId") or "", (None, None))
        item.update(activityTypeLabel=labels.get((item.get("activityType") or "").strip().lower()),
                    authorName=name, authorEmail=email, dealTitle=titles.get(item.get("dealId") or ""))


def _on_customer(model: Any) -> Parent:
    return Parent(param="entityId", column=model.entity_id, resource=customers, required_on_list=False)


activities = Resource(
    path="/customers/activities", model=Activity, entity="customers.activity",
    create_schema=ActivityCreate, update_schema=ActivityUpdate, features=ACTIVITIES,
    tag=TAG, label="Activity", plural="Activities",
    search=(Activity.subject, Activity.body),
    sort=Sort((Activity.occurred_at, Activity.created_at, Activity.activity_type, Activity.subject),
              default=Activity.created_at, direction="desc"),
    filters={"dealId": Filter.eq(Activity.deal_id, "Activities of this deal"),
             "activityType": Filter.eq(Activity.activity_type, "Activity type (dictionary value)"),
             "occurredFrom": Filter.min(Activity.occurred_at, "Occurred at or after (ISO date)"),
             "occurredTo": Filter.max(Activity.occurred_at, "Occurred at or before (ISO date)")},
    parent=_on_customer(Activity), envelope=Envelope.TOTAL,
    fields=Fields("id", "entity_id", "deal_id", "activity_type", "subject", "body", "occurred_at", "created_at",
                  "author_user_id", "organization_id", "tenant_id", "appearance_icon", "appearance_color"),
    custom_fields=ACTIVITY_FIELDS,
    hooks=Hooks(before_create=_timeline_before, before_update=_timeline_before, decorate=_activity_decorate),
)

comments = Resource(
    path="/customers/comments", model=Comment, entity="customers.comment",
    create_schema=CommentCreate, update_schema=CommentUpdate, features=ACTIVITIES,
    tag=TAG, label="Comment",
    search=(Comment.body,), sort=Sort((Comment.created_at, Comment.updated_at), default=Comment.created_at,
                                      direction="desc"),
    filters={"dealId": Filter.eq(Comment.deal_id, "Comments on this deal")},
    parent=_on_customer(Comment), envelope=Envelope.TOTAL,
    fields=Fields("id", "entity_id", "deal_id", "body", "author_user_id", "appearance_icon", "appearance_color",
                  "organization_id", "tenant_id", "created_at", "updated_at", casing="snake"),
    hooks=Hooks(before_create=_timeline_before, before_update=_timeline_before,
                created_body=lambda w: {"id": w.row.id, "authorUserId": w.row.author_user_id}),
    created_schema=shape(id="string", authorUserId="string?"),
)


addresses = Resource(
    path="/customers/addresses", model=Address, entity="customers.address",
    create_schema=AddressCreate, update_schema=AddressUpdate, features=ACTIVITIES,
    tag=TAG, label="Address", plural="Addresses",
    search=(Address.address_line1, Address.city, Address.name),
    sort=Sort((Address.is_primary, Address.created_at, Address.city, Address.name), default=Address.created_at),
    filters={"isPrimary": Filter.eq(Address.is_primary, "Primary or not")},
    parent=_on_customer(Address), envelope=Envelope.TOTAL,
    fields=Fields("id", "entity_id", "name", "purpose", "company_name", "address_line1", "address_line2",
                  "building_number", "flat_number", "city", "region", "postal_code", "country", "latitude",
                  "longitude", "is_primary", "organization_id", "tenant_id", "created_at", "updated_at",
                  casing="snake"),
    # At most one primary address per customer: a new primary demotes the others.
    exclusive=Exclusive(Address.is_primary, among=Address.entity_id),
)


# --- dictionary entries and todo links (served by routes.py through the kit's functions) ---------------

dictionary_entries = Resource(
    path="/customers/dictionaries", model=DictionaryEntry, entity="customers.dictionary_entry",
    features=Features("customers.people.view", "customers.settings.manage", "customers.settings.manage",
                      "customers.settings.manage"),
    tag=TAG, label="Dictionary entry", plural="Dictionary entries", create_schema=None, update_schema=None,
    operations=frozenset(), soft_delete=False,
    fields=Fields("id", "kind", "value", "label", "color", "icon", "organization_id", "tenant_id"),
)


async def _todo_decorate(session: Any, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    todos = await example.todo_details(session, ctx.tenant_id, [i["todoId"] for i in items])
    entity_ids = {i["entityId"] for i in items}
    names = {r.id: (r.display_name, r.kind) for r in (await session.execute(
        select(CustomerEntity.id, CustomerEntity.display_name, CustomerEntity.kind).where(
            CustomerEntity.id.in_(entity_ids)))).all()}
    for item in items:
        todo = todos.get(item["todoId"]) or {}
        custom = todo.get("custom") or {}
        name, kind = names.get(item["entityId"], (None, None))
        item.update(todoTitle=todo.get("title"), todoIsDone=todo.get("isDone"),
                    todoPriority=custom.get("priority"), todoSeverity=custom.get("severity"),
                    todoDescription=custom.get("description"), todoDueAt=custom.get("due_at"),
                    todoCustomValues=custom or None, todoOrganizationId=todo.get("organizationId"),
                    customer={"id": item["entityId"], "displayName": name, "kind": kind})


def _todo_search(stmt: Any, raw: str) -> Any:
    return stmt.where(TodoLink.todo_id.in_(example.ids_titled(raw.strip())))


def _todo_done(stmt: Any, raw: str) -> Any:
    return stmt.where(TodoLink.todo_id.in_(example.ids_done(parse_bool(raw, "isDone"))))


todo_links = Resource(
    path="/customers/todos", model=TodoLink, entity="customers.todo_link",
    create_schema=TodoLinkCreate, update_schema=None, features=ACTIVITIES,
    tag=TAG, label="Todo link", operations=frozenset({"list"}), soft_delete=False,
    sort=Sort((TodoLink.created_at,), default=TodoLink.created_at, direction="desc"),
    filters={"entityId": Filter.eq(TodoLink.entity_id, "Todos linked to this customer"),
             "organizationId": Filter.eq(TodoLink.organization_id, "Links of this organization"),
             "search": Filter.using(_todo_search, "Todo title contains"),
             "isDone": Filter.using(_todo_done, "true: done todos; false: open ones")},
    envelope=Envelope.TOTAL,
    fields=Fields("id", "entity_id", "todo_id", "todo_source", "organization_id", "tenant_id", "created_at",
                  "created_by_user_id"),
    hooks=Hooks(decorate=_todo_decorate),
    descriptions={"list": "Todo links with each todo's title, state and details and the customer it belongs to."},
)


async def tag_rows(session: Any, entity_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in entity_ids}
    rows = (await session.execute(select(TagAssignment.entity_id, Tag.id, Tag.label, Tag.color)
                                  .join(Tag, Tag.id == TagAssignment.tag_id)
                                  .where(TagAssignment.entity_type == TAG_ENTITY,
                                         TagAssignment.entity_id.in_(entity_ids), Tag.deleted_at.is_(None))
                                  .order_by(Tag.label))).all()
    for r in rows:
        out[r.entity_id].append({"id": r.id, "label": r.label, "color": r.color})
    return out


def not_found(label: str) -> NotFound:
    return NotFound(f"{label} not found")
