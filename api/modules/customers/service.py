"""The CRM's rules as plain functions, and its public surface for other modules: the customer
aggregates (`people/{id}`, `companies/{id}`, `deals/{id}`) and customer lookups.

An aggregate is assembled with a fixed number of queries whatever the counts: one per related
collection (profile, tags, addresses, comments, activities, deals, todo links, linked people), two for
the linked todos, one for the users named as authors, plus the kit's custom-field load; never one per
row. `tests/api/modules/customers/test_aggregates.py` counts them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import api.modules.example.service as example
from api.auth import AuthContext
from api.crud import Fields
from api.crud import service as crud
from api.crud.custom_fields import state
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
from api.modules.customers.resources import customers, tag_rows

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


async def aggregate(session: AsyncSession, ctx: AuthContext, row: CustomerEntity, wanted: set[str]) -> dict[str, Any]:
    """A person's or company's page: the record, its profile, custom fields and tags, and the related
    collections named in `wanted` (the others come back empty, as the reference answers)."""
    kind = row.kind
    profile_model: Any = PersonProfile if kind == "person" else CompanyProfile
    profile = (await session.execute(select(profile_model).where(profile_model.entity_id == row.id))).scalars().first()
    out: dict[str, Any] = {
        kind: ENTITY(row),
        "profile": (PERSON_PROFILE if kind == "person" else COMPANY_PROFILE)(profile) if profile else None,
        "customFields": custom_values(row),
        "tags": (await tag_rows(session, [row.id]))[row.id],
    }
    live = (Address.deleted_at.is_(None),)
    addresses = (await session.execute(select(Address).where(Address.entity_id == row.id, *live).order_by(
        Address.is_primary.desc(), Address.created_at.desc(), Address.id))).scalars().all() \
        if "addresses" in wanted else []
    comments = (await session.execute(select(Comment).where(
        Comment.entity_id == row.id, Comment.deleted_at.is_(None)).order_by(
        Comment.created_at.desc(), Comment.id).limit(TIMELINE_LIMIT))).scalars().all() \
        if "comments" in wanted else []
    activities = (await session.execute(select(Activity).where(
        Activity.entity_id == row.id, Activity.deleted_at.is_(None)).order_by(
        func.coalesce(Activity.occurred_at, Activity.created_at).desc(), Activity.created_at.desc(), Activity.id)
        .limit(TIMELINE_LIMIT))).scalars().all() if "activities" in wanted else []
    deals: list[Deal] = []
    if "deals" in wanted:
        link: Any = DealPerson if kind == "person" else DealCompany
        column = link.person_entity_id if kind == "person" else link.company_entity_id
        deals = list((await session.execute(select(Deal).join(link, link.deal_id == Deal.id).where(
            column == row.id, Deal.deleted_at.is_(None)).order_by(Deal.created_at.desc(), Deal.id))).scalars())
    timeline: list[Comment | Activity] = [*comments, *activities]
    authors = {r.author_user_id for r in timeline if r.author_user_id}
    if ctx.user_id and not ctx.is_api_key:
        authors.add(ctx.user_id)
    users = await _users(session, authors)

    def authored(fields: Fields, r: Any) -> dict[str, Any]:
        who = users.get(r.author_user_id or "", {})
        return {**fields(r), "authorName": who.get("name"), "authorEmail": who.get("email")}

    out["addresses"] = [ADDRESS(a) for a in addresses]
    out["comments"] = [authored(COMMENT, c) for c in comments]
    out["activities"] = [authored(ACTIVITY, a) for a in activities]
    out["deals"] = [DEAL_ITEM(d) for d in deals]
    out["todos"] = await _todos(session, ctx, row.id) if "todos" in wanted else []
    if kind == "company":
        people: list[dict[str, Any]] = []
        if "people" in wanted:
            found = (await session.execute(select(Person, PersonProfile.job_title, PersonProfile.department)
                                           .join(PersonProfile, PersonProfile.entity_id == Person.id)
                                           .where(PersonProfile.company_entity_id == row.id,
                                                  Person.deleted_at.is_(None))
                                           .order_by(Person.display_name, Person.id))).all()
            people = [{**LINKED_PERSON(p), "jobTitle": job, "department": dept} for p, job, dept in found]
        out["people"] = people
    out["viewer"] = _viewer(ctx, users)
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
