"""The CRM's rules as plain functions, and its public surface for other modules: the customer
aggregates (`people/{id}`, `companies/{id}`, `deals/{id}`) and customer lookups.

An aggregate is assembled with a fixed number of queries whatever the counts: one per related
collection (profile, tags, addresses, comments, activities, deals, todo links, linked people), two for
the linked todos, one for the users named as authors, plus the kit's custom-field load; never one per
row. `tests/api/modules/customers/test_aggregates.py` counts them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import api.modules.example.service as example
from api.auth import AuthContext
from api.casing import jsonable
from api.crud import Fields, Resource
from api.crud import service as crud
from api.crud.custom_fields import definitions, state
from api.crud.query import like_pattern
from api.errors import NotFound
from api.modules.auth.models import User
from api.modules.customers.models import (
    Activity,
    Address,
    Comment,
    CompanyProfile,
    CustomerEntity,
    Deal,
    DealCompany,
    DealPerson,
    Person,
    PersonProfile,
    TodoLink,
)
from api.modules.customers.resources import companies, customers, people, tag_rows

# The reference shows the latest 50 of the timeline collections on a customer's page.
TIMELINE_LIMIT = 50
INCLUDES = frozenset({"addresses", "comments", "activities", "deals", "todos", "people"})
ALIASES = {"notes": "comments", "tasks": "todos"}

ENTITY = Fields("id", "display_name", "description", "owner_user_id", "primary_email", "primary_phone", "status",
                "lifecycle_stage", "source", "next_interaction_at", "next_interaction_name",
                "next_interaction_ref_id", "next_interaction_icon", "next_interaction_color", "organization_id",
                "tenant_id", "is_active", "created_at", "updated_at")
PERSON_PROFILE = Fields("id", "first_name", "last_name", "preferred_name", "job_title", "department", "seniority",
                        "timezone", "linked_in_url", "twitter_url", "company_entity_id")
COMPANY_PROFILE = Fields("id", "legal_name", "brand_name", "domain", "website_url", "industry", "size_bucket",
                         "annual_revenue")
ADDRESS = Fields("id", "name", "purpose", "company_name", "address_line1", "address_line2", "building_number",
                 "flat_number", "city", "region", "postal_code", "country", "latitude", "longitude", "is_primary",
                 "created_at")
COMMENT = Fields("id", "body", "author_user_id", "deal_id", "created_at", "appearance_icon", "appearance_color")
ACTIVITY = Fields("id", "activity_type", "subject", "body", "occurred_at", "deal_id", "author_user_id", "created_at",
                  "appearance_icon", "appearance_color")
DEAL = Fields("id", "title", "description", "status", "pipeline_stage", "value_amount", "value_currency",
              "probability", "expected_close_at", "owner_user_id", "source", "organization_id", "tenant_id",
              "created_at", "updated_at")
DEAL_ITEM = Fields("id", "title", "status", "pipeline_stage", "value_amount", "value_currency", "probability",
                   "expected_close_at", "owner_user_id", "source", "created_at", "updated_at")
LINKED_PERSON = Fields("id", "display_name", "primary_email", "primary_phone", "status", "lifecycle_stage",
                       "created_at", "organization_id")


class Columns:
    """Some columns of a model read as plain rows (no ORM identities to build) and answered with
    camelCase keys: the aggregates read a few hundred related rows per call."""

    def __init__(self, model: Any, fields: Fields) -> None:
        self.columns = [getattr(model, n) for n in fields.names]
        self.keys = [fields.key(n) for n in fields.names]

    def dicts(self, rows: Iterable[Any]) -> list[dict[str, Any]]:
        keys = self.keys
        return [{k: (v if v is None or isinstance(v, str | bool | int | float) else jsonable(v))
                 for k, v in zip(keys, row, strict=True)} for row in rows]


def includes(raw: Iterable[str]) -> set[str]:
    """`include=addresses,comments&include=deals` → the relations asked for (unknown ones ignored)."""
    tokens = {t.strip().lower() for value in raw for t in value.split(",") if t.strip()}
    return {ALIASES.get(t, t) for t in tokens} & INCLUDES


def custom_values(row: Any) -> dict[str, Any]:
    loaded = state(row)
    return dict(loaded.values) if loaded is not None else {}


async def _users(session: AsyncSession, ids: set[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    rows = (await session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))).all()
    return {r.id: {"name": r.name, "email": r.email} for r in rows}


def _viewer(ctx: AuthContext, users: dict[str, dict[str, Any]]) -> dict[str, Any]:
    user_id = None if ctx.is_api_key else ctx.user_id
    found = users.get(user_id or "", {})
    return {"userId": user_id, "name": found.get("name"), "email": found.get("email")}


async def _todos(session: AsyncSession, ctx: AuthContext, entity_id: str) -> list[dict[str, Any]]:
    links = (await session.execute(select(TodoLink).where(TodoLink.entity_id == entity_id)
                                   .order_by(TodoLink.created_at.desc(), TodoLink.id).limit(TIMELINE_LIMIT))
             ).scalars().all()
    details = await example.todo_details(session, ctx.tenant_id,
                                         [lk.todo_id for lk in links if lk.todo_source == example.SOURCE])
    out = []
    for link in links:
        todo = details.get(link.todo_id) or {}
        custom = todo.get("custom") or {}
        out.append({"id": link.id, "todoId": link.todo_id, "todoSource": link.todo_source,
                    "createdAt": ENTITY.value(link.created_at), "createdByUserId": link.created_by_user_id,
                    "title": todo.get("title"), "isDone": todo.get("isDone"), "priority": custom.get("priority"),
                    "severity": custom.get("severity"), "description": custom.get("description"),
                    "dueAt": custom.get("due_at"), "todoOrganizationId": todo.get("organizationId"),
                    "customValues": custom or None})
    return out


async def aggregate(session: AsyncSession, ctx: AuthContext, res: Resource, entity_id: str,
                    wanted: set[str]) -> dict[str, Any]:
    """A person's or company's page: the record, its profile, custom fields and tags, and the related
    collections named in `wanted` (the others come back empty, as the reference answers)."""
    profile_model: Any = PersonProfile if res.model is Person else CompanyProfile
    viewer_id = None if ctx.is_api_key else ctx.user_id
    # The record, its profile and the viewer's name in one statement.
    found = (await session.execute(
        crud.scoped(res, ctx).add_columns(profile_model, User.name, User.email)
        .outerjoin(profile_model, profile_model.entity_id == res.model.id)
        .outerjoin(User, User.id == literal(viewer_id or ""))
        .where(res.model.id == entity_id, res.model.deleted_at.is_(None)))).first()
    if found is None:
        raise NotFound(f"{res.label} not found")
    row, profile, viewer_name, viewer_email = found
    kind = row.kind
    # Custom values only when the entity has fields (the common case has none: one statement saved).
    if res.custom is not None and await definitions(session, res.custom.entity, ctx.tenant_id, ctx.write_org_id,
                                                     res.custom.shipped):
        await crud.load_custom(res, ctx, session, [row])
    out: dict[str, Any] = {
        kind: ENTITY(row),
        "profile": (PERSON_PROFILE if kind == "person" else COMPANY_PROFILE)(profile) if profile else None,
        "customFields": custom_values(row),
        "tags": (await tag_rows(session, [row.id]))[row.id],
    }
    address_cols, comment_cols, activity_cols, deal_cols = (
        Columns(Address, ADDRESS), Columns(Comment, COMMENT), Columns(Activity, ACTIVITY), Columns(Deal, DEAL_ITEM))
    addresses = (await session.execute(select(*address_cols.columns).where(
        Address.entity_id == row.id, Address.deleted_at.is_(None)).order_by(
        Address.is_primary.desc(), Address.created_at.desc(), Address.id))).all() if "addresses" in wanted else []
    # Authors come with their rows (the author columns last), not from a lookup of their own.
    comments = (await session.execute(select(*comment_cols.columns, User.name, User.email)
                                      .outerjoin(User, User.id == Comment.author_user_id).where(
        Comment.entity_id == row.id, Comment.deleted_at.is_(None)).order_by(
        Comment.created_at.desc(), Comment.id).limit(TIMELINE_LIMIT))).all() if "comments" in wanted else []
    activities = (await session.execute(select(*activity_cols.columns, User.name, User.email)
                                        .outerjoin(User, User.id == Activity.author_user_id).where(
        Activity.entity_id == row.id, Activity.deleted_at.is_(None)).order_by(
        func.coalesce(Activity.occurred_at, Activity.created_at).desc(), Activity.created_at.desc(), Activity.id)
        .limit(TIMELINE_LIMIT))).all() if "activities" in wanted else []
    deals: list[Any] = []
    if "deals" in wanted:
        link: Any = DealPerson if kind == "person" else DealCompany
        column = link.person_entity_id if kind == "person" else link.company_entity_id
        deals = list((await session.execute(select(*deal_cols.columns).join(link, link.deal_id == Deal.id).where(
            column == row.id, Deal.deleted_at.is_(None)).order_by(Deal.created_at.desc(), Deal.id))).all())
    def authored(cols: Columns, rows: list[Any]) -> list[dict[str, Any]]:
        out = cols.dicts(r[:-2] for r in rows)
        for item, r in zip(out, rows, strict=True):
            item["authorName"], item["authorEmail"] = r[-2], r[-1]
        return out

    out["addresses"] = address_cols.dicts(addresses)
    out["comments"] = authored(comment_cols, list(comments))
    out["activities"] = authored(activity_cols, list(activities))
    out["deals"] = deal_cols.dicts(deals)
    out["todos"] = await _todos(session, ctx, row.id) if "todos" in wanted else []
    if kind == "company":
        people: list[dict[str, Any]] = []
        if "people" in wanted:
            linked = (await session.execute(select(Person, PersonProfile.job_title, PersonProfile.department)
                                           .join(PersonProfile, PersonProfile.entity_id == Person.id)
                                           .where(PersonProfile.company_entity_id == row.id,
                                                  Person.deleted_at.is_(None))
                                           .order_by(Person.display_name, Person.id))).all()
            people = [{**LINKED_PERSON(p), "jobTitle": job, "department": dept} for p, job, dept in linked]
        out["people"] = people
    out["viewer"] = {"userId": viewer_id, "name": viewer_name, "email": viewer_email}
    return out


async def deal_aggregate(session: AsyncSession, ctx: AuthContext, deal: Deal) -> dict[str, Any]:
    """A deal with its people (with their role) and companies, custom fields and the viewer."""
    people = (await session.execute(
        select(CustomerEntity.id, CustomerEntity.display_name, CustomerEntity.primary_email,
               DealPerson.participant_role)
        .join(DealPerson, DealPerson.person_entity_id == CustomerEntity.id)
        .where(DealPerson.deal_id == deal.id, CustomerEntity.deleted_at.is_(None))
        .order_by(CustomerEntity.display_name))).all()
    companies = (await session.execute(
        select(CustomerEntity.id, CustomerEntity.display_name, CustomerEntity.primary_email)
        .join(DealCompany, DealCompany.company_entity_id == CustomerEntity.id)
        .where(DealCompany.deal_id == deal.id, CustomerEntity.deleted_at.is_(None))
        .order_by(CustomerEntity.display_name))).all()
    users = await _users(session, {ctx.user_id} if ctx.user_id and not ctx.is_api_key else set())
    return {
        "deal": DEAL(deal),
        "people": [{"id": p.id, "label": p.display_name, "subtitle": p.primary_email, "kind": "person",
                    "participantRole": p.participant_role} for p in people],
        "companies": [{"id": c.id, "label": c.display_name, "subtitle": c.primary_email, "kind": "company"}
                      for c in companies],
        "customFields": custom_values(deal),
        "viewer": _viewer(ctx, users),
    }


async def find_customer(session: AsyncSession, ctx: AuthContext, entity_id: str) -> dict[str, Any] | None:
    """A live customer (person or company) the caller sees, as `{id, kind, displayName, primaryEmail,
    organizationId}`; None when there is none. For other modules (sales documents, bookings)."""
    try:
        row = await crud.get_row(customers, ctx, session, entity_id)
    except NotFound:
        return None
    return {"id": row.id, "kind": row.kind, "displayName": row.display_name, "primaryEmail": row.primary_email,
            "organizationId": row.organization_id}


# Customers by kind, as `/api/customers/companies` and `/api/customers/people` serve them: each lookup below is
# scoped to the caller exactly as those lists are.
KINDS: dict[str, Resource] = {"company": companies, "person": people}


def _summary(row: Any) -> dict[str, Any]:
    return {"id": row.id, "displayName": row.display_name, "primaryEmail": row.primary_email, "status": row.status}


async def customers_by_id(session: AsyncSession, ctx: AuthContext, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Live customers among `ids` the caller sees, as `{id: {id, displayName, primaryEmail, status}}`: one
    query per kind whatever the number of ids. For other modules naming customers in their answers."""
    wanted = {i for i in ids if i}
    found: dict[str, dict[str, Any]] = {}
    for res in KINDS.values():
        if not wanted - set(found):
            break
        model: Any = res.model
        rows = await session.execute(crud.scoped(res, ctx).where(model.id.in_(wanted - set(found)),
                                                                 model.deleted_at.is_(None)))
        found.update({r.id: _summary(r) for r in rows.scalars()})
    return found


async def customer_options(session: AsyncSession, ctx: AuthContext, kind: str, search: str,
                           limit: int) -> list[dict[str, Any]]:
    """Live customers of `kind` (a key of `KINDS`) the caller sees, by name, filtered by name or e-mail:
    the options of a picker."""
    res = KINDS[kind]
    model: Any = res.model
    stmt = crud.scoped(res, ctx).where(model.deleted_at.is_(None))
    if search:
        pattern = like_pattern(search)
        stmt = stmt.where(or_(func.lower(model.display_name).like(pattern, escape="\\"),
                              func.lower(model.primary_email).like(pattern, escape="\\")))
    rows = (await session.execute(stmt.order_by(model.display_name, model.id).limit(limit))).scalars()
    return [_summary(r) for r in rows]


async def companies_named(session: AsyncSession, ctx: AuthContext, names: Iterable[str]) -> dict[str, str]:
    """`{lower-cased name: id}` of the live companies the caller sees whose display name is one of `names`
    (case aside); when two share a name, the oldest wins, so an import run twice picks the same one."""
    wanted = {n.strip().lower() for n in names if n.strip()}
    if not wanted:
        return {}
    model: Any = companies.model
    rows = (await session.execute(
        crud.scoped(companies, ctx).with_only_columns(model.id, model.display_name)
        .where(model.deleted_at.is_(None), func.lower(model.display_name).in_(wanted))
        .order_by(model.created_at, model.id))).all()
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(row.display_name.strip().lower(), row.id)
    return found
