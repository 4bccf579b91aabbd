"""The contractors' routes the kit's declarations cannot say: lists that take the reference's `limit`,
`sortBy` and `sortOrder`, the contractor by path id (its full record with children), the 1:1 upserts of
payment terms and credit limits, and the grid configurations. (No `from __future__ import annotations`:
the list routes are built per collection and FastAPI must see their dependency types.)"""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext, requires
from api.casing import camel, jsonable
from api.crud import service as crud
from api.crud import written
from api.crud.answers import json_answer, many, shape
from api.crud.query import is_uuid
from api.crud.table_config import TableHints, table_config_route
from api.deps import SessionDep
from api.errors import BadRequest
from api.modules.contractors.models import (
    ADDRESS_PURPOSES,
    Contractor,
    ContractorAddress,
    ContractorContact,
    ContractorCreditLimit,
    ContractorPaymentTerms,
)
from api.modules.contractors.resources import (
    EDIT,
    FINANCIAL,
    VIEW,
    contractors,
)
from api.modules.contractors.schemas import ContractorPatch

router = APIRouter(tags=["Contractors"])

# --- the contractor by path id ----------------------------------------------------------------------------------

View = Annotated[AuthContext, Depends(requires(VIEW))]
Edit = Annotated[AuthContext, Depends(requires(EDIT))]
Financial = Annotated[AuthContext, Depends(requires(FINANCIAL))]

_STAMPS: dict[str, str | Mapping[str, Any]] = {"createdAt": "string", "updatedAt": "string"}
ADDRESS = shape(id="string", purpose="string", addressLine="string?", city="string?", state="string?",
                postalCode="string?", country="string?", isPrimary="boolean", isActive="boolean", **_STAMPS)
CONTACT = shape(id="string", firstName="string?", lastName="string?", email="string?", phone="string?",
                isPrimary="boolean", isActive="boolean", **_STAMPS)
TERMS = shape(id="string", paymentDays="integer", paymentMethod="string?", currencyCode="string",
              bankName="string?", bankAccountNumber="string?", bankRoutingNumber="string?", iban="string?",
              swiftBic="string?", notes="string?", **_STAMPS)
LIMIT = shape(id="string", creditLimit="string", currencyCode="string", isUnlimited="boolean",
              currentExposure="string", notes="string?", **_STAMPS)
SUMMARY: dict[str, str | Mapping[str, Any]] = dict(
    id="string", name="string", shortName="string?", parentId="string?", taxId="string?",
    isActive="boolean", roleTypeIds=many({"type": "string"}), **_STAMPS)
DETAIL = shape(**SUMMARY, addresses=many(ADDRESS), contacts=many(CONTACT),
               paymentTerms={"anyOf": [TERMS, {"type": "null"}]}, creditLimit={"anyOf": [LIMIT, {"type": "null"}]})


def _pick(row: Any, *names: str) -> dict[str, Any]:
    return {camel(n): jsonable(getattr(row, n)) for n in names}


STAMPS = ("created_at", "updated_at")


def summary(row: Contractor) -> dict[str, Any]:
    return {**_pick(row, "id", "name", "short_name", "parent_id", "tax_id", "is_active"),
            "roleTypeIds": list(row.role_type_ids or []), **_pick(row, *STAMPS)}


async def detail(session: AsyncSession, row: Contractor) -> dict[str, Any]:
    """The contractor with its addresses, contacts, payment terms and credit limit (bank details in full)."""
    places = (await session.execute(select(ContractorAddress).where(ContractorAddress.contractor_id == row.id)
                                    .order_by(ContractorAddress.created_at, ContractorAddress.id))).scalars()
    people = (await session.execute(select(ContractorContact).where(ContractorContact.contractor_id == row.id)
                                    .order_by(ContractorContact.created_at, ContractorContact.id))).scalars()
    terms = (await session.execute(select(ContractorPaymentTerms).where(
        ContractorPaymentTerms.contractor_id == row.id))).scalars().first()
    limit = (await session.execute(select(ContractorCreditLimit).where(
        ContractorCreditLimit.contractor_id == row.id))).scalars().first()
    return {
        **summary(row),
        "addresses": [_pick(a, "id", "purpose", "address_line", "city", "state", "postal_code", "country",
                            "is_primary", "is_active", *STAMPS) for a in places],
        "contacts": [_pick(c, "id", "first_name", "last_name", "email", "phone", "is_primary", "is_active", *STAMPS)
                     for c in people],
        "paymentTerms": _pick(terms, "id", "payment_days", "payment_method", "currency_code", "bank_name",
                              "bank_account_number", "bank_routing_number", "iban", "swift_bic", "notes", *STAMPS)
        if terms else None,
        "creditLimit": _pick(limit, "id", "credit_limit", "currency_code", "is_unlimited", "current_exposure",
                             "notes", *STAMPS) if limit else None,
    }


def _id(value: str) -> str:
    if not is_uuid(value):
        raise BadRequest("Invalid contractor id")
    return value


@router.get("/contractors/contractors/{id}", summary="Get contractor",
            description="Returns one contractor with its addresses, contacts, payment terms and credit limit. "
                        f"Requires features: {VIEW}",
            responses=json_answer(DETAIL))
async def get_contractor(id: str, session: SessionDep, ctx: View) -> dict[str, Any]:
    row = await crud.get_row(contractors, ctx, session, _id(id))
    return await detail(session, row)


@router.put("/contractors/contractors/{id}", summary="Update contractor by id",
            description="Updates the contractor named by the path; keys left out keep their values. Answers the "
                        f"contractor as it is now. Requires features: {EDIT}",
            responses=json_answer(shape(**SUMMARY)))
async def update_contractor(id: str, body: ContractorPatch, session: SessionDep, ctx: Edit) -> JSONResponse:
    write = await crud.update(contractors, ctx, session, _id(id), body)
    return written(summary(write.row), crud.entry_of(write))



# --- grids -------------------------------------------------------------------------------------------------------

GRIDS = (
    ("/contractors/table-config", Contractor, "contractor", "contractors",
     TableHints(hidden=("parent_id", "role_type_ids"),
                renderers={"name": "ContractorNameRenderer", "is_active": "StatusBadgeRenderer"})),
    ("/contractors/addresses/table-config", ContractorAddress, "contractor_address", "contractor addresses",
     TableHints(hidden=("contractor_id",), dropdowns={"purpose": ADDRESS_PURPOSES},
                renderers={"is_primary": "CheckboxRenderer", "is_active": "StatusBadgeRenderer"})),
    ("/contractors/contacts/table-config", ContractorContact, "contractor_contact", "contractor contacts",
     TableHints(hidden=("contractor_id",),
                renderers={"is_primary": "CheckboxRenderer", "is_active": "StatusBadgeRenderer"})),
)


for _path, _model, _entity, _label, _hints in GRIDS:
    table_config_route(router, _path, _model, _entity, features=(VIEW,), label=_label, hints=_hints)

