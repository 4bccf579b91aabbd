"""The contractors' collections, each a declaration for the kit, and the hooks that keep what does not fit
a column: a contractor's branch tree and roles, the children a contractor create may nest, one primary
address and contact per contractor. Payment terms and credit limits are 1:1 upserts served by routes.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.casing import camel
from api.crud import Dialect, Envelope, Exclusive, Features, Fields, Filter, Hooks, Parent, Resource, Sort, Write
from api.crud import service as crud
from api.crud.query import parse_bool
from api.errors import BadRequest, Conflict
from api.modules.contractors.models import (
    ROLE_CATEGORIES,
    Contractor,
    ContractorAddress,
    ContractorContact,
    ContractorCreditLimit,
    ContractorPaymentTerms,
    ContractorRoleLink,
    ContractorRoleType,
)
from api.modules.contractors.schemas import (
    AddressCreate,
    AddressUpdate,
    ContactCreate,
    ContactUpdate,
    ContractorCreate,
    ContractorUpdate,
    CreditLimitUpsert,
    PaymentTermsUpsert,
    RoleTypeCreate,
    RoleTypeUpdate,
)

TAG = "Contractors"
VIEW = "contractors.view"
CREATE = "contractors.create"
EDIT = "contractors.edit"
DELETE = "contractors.delete"
FINANCIAL = "contractors.manage_financial"
ADMIN = "contractors.admin"
# How far up a branch tree a cycle check walks: deeper trees are refused rather than walked forever.
MAX_DEPTH = 50


def problem(field: str, message: str) -> BadRequest:
    return BadRequest("Invalid input", [{"path": [field], "message": message}])


def _no_nulls(write: Write) -> None:
    """`null` for a column that must hold a value (`isActive: null`) is bad input, not a database error."""
    table: Any = write.resource.model.__table__
    for key, value in write.values.items():
        if value is None and key in table.c and not table.c[key].nullable:
            raise problem(camel(key), "Required")


# --- contractors ---------------------------------------------------------------------------------------

async def _check_parent(write: Write) -> None:
    """A parent is a live contractor the caller sees, and never the contractor itself or one of its branches."""
    if "parent_id" not in write.values or write.values["parent_id"] is None:
        return
    parent_id = write.values["parent_id"]
    parent = (await write.session.execute(crud.scoped(contractors, write.ctx).where(
        Contractor.id == parent_id, Contractor.deleted_at.is_(None)))).scalars().first()
    if parent is None:
        raise problem("parentId", "Parent contractor not found")
    seen: str | None = parent.id
    for _ in range(MAX_DEPTH):
        if seen is None:
            return
        if seen == write.row.id:
            raise problem("parentId", "A contractor cannot be its own parent or a branch of its branch")
        seen = (await write.session.execute(select(Contractor.parent_id).where(
            Contractor.id == seen, Contractor.tenant_id == write.row.tenant_id))).scalar()
    raise problem("parentId", "The branch tree is too deep")


async def _check_roles(write: Write) -> None:
    """`roleTypeIds` name role types the caller sees (each once, in the order given)."""
    if "role_type_ids" not in write.values:
        return
    wanted = list(dict.fromkeys(write.values["role_type_ids"] or []))
    if wanted:
        found = set((await write.session.execute(crud.scoped(role_types, write.ctx).where(
            ContractorRoleType.id.in_(wanted)).with_only_columns(ContractorRoleType.id))).scalars())
        missing = [i for i in wanted if i not in found]
        if missing:
            raise problem("roleTypeIds", f"Role type not found: {missing[0]}")
    write.values["role_type_ids"] = wanted


async def sync_roles(session: AsyncSession, row: Contractor) -> None:
    """The role links mirror `role_type_ids` (after a write, an undo or a redo)."""
    await session.execute(delete(ContractorRoleLink).where(ContractorRoleLink.contractor_id == row.id))
    for role_type_id in row.role_type_ids or []:
        session.add(ContractorRoleLink(contractor_id=row.id, role_type_id=role_type_id))


async def _contractor_before_create(write: Write) -> None:
    _no_nulls(write)
    await _check_parent(write)
    await _check_roles(write)


async def _contractor_after_create(write: Write) -> None:
    """Roles, then the children the body nests: each written through its own collection (checked, audited
    and announced), in this transaction, so a refused child leaves no contractor behind."""
    row, body = write.row, write.body
    await sync_roles(write.session, row)
    if not isinstance(body, ContractorCreate):
        return
    contacts = [c.model_dump(exclude_unset=True) for c in body.contacts or []]
    if body.primary_contact_email or body.primary_contact_phone:
        contacts.insert(0, {"email": body.primary_contact_email, "phone": body.primary_contact_phone,
                            "is_primary": True, "is_active": True})
    for contact in contacts:
        await crud.create(contacts_res, write.ctx, write.session, ContactCreate(**contact, contractor_id=row.id))
    for address in body.addresses or []:
        await crud.create(addresses, write.ctx, write.session,
                          AddressCreate(**address.model_dump(exclude_unset=True), contractor_id=row.id))
    if body.payment_terms is not None:
        await crud.create(payment_terms, write.ctx, write.session, PaymentTermsUpsert(
            **body.payment_terms.model_dump(exclude_unset=True), contractor_id=row.id))
    if body.credit_limit is not None:
        await crud.create(credit_limits, write.ctx, write.session, CreditLimitUpsert(
            **body.credit_limit.model_dump(exclude_unset=True), contractor_id=row.id))


async def _contractor_before_update(write: Write) -> None:
    _no_nulls(write)
    await _check_parent(write)
    await _check_roles(write)


async def _contractor_after_update(write: Write) -> None:
    if "role_type_ids" in write.values:
        await sync_roles(write.session, write.row)


async def _contractor_after_undo(session: AsyncSession, row: Any, left: dict[str, Any] | None) -> None:
    await sync_roles(session, row)


def _primary(rows: list[Any]) -> Any:
    """The primary active row, else the first active one (the reference's choice for list items)."""
    return next((r for r in rows if r.is_primary and r.is_active), None) or next((r for r in rows if r.is_active), None)


async def _decorate_contractors(session: AsyncSession, ctx: AuthContext, items: list[dict[str, Any]]) -> None:
    """Each item's roles, financial summary, primary contact and primary address, one query per kind."""
    ids = [i["id"] for i in items]
    role_ids = {r for i in items for r in i["roleTypeIds"]}
    roles = {r.id: r for r in (await session.execute(select(ContractorRoleType).where(
        ContractorRoleType.id.in_(role_ids), ContractorRoleType.tenant_id == ctx.tenant_id))).scalars()} \
        if role_ids else {}
    limits = {r.contractor_id: r for r in (await session.execute(select(ContractorCreditLimit).where(
        ContractorCreditLimit.contractor_id.in_(ids)))).scalars()}
    terms = {r.contractor_id: r for r in (await session.execute(select(ContractorPaymentTerms).where(
        ContractorPaymentTerms.contractor_id.in_(ids)))).scalars()}
    contacts: dict[str, list[ContractorContact]] = {}
    for c in (await session.execute(select(ContractorContact).where(ContractorContact.contractor_id.in_(ids))
                                    .order_by(ContractorContact.created_at, ContractorContact.id))).scalars():
        contacts.setdefault(c.contractor_id, []).append(c)
    places: dict[str, list[ContractorAddress]] = {}
    for a in (await session.execute(select(ContractorAddress).where(ContractorAddress.contractor_id.in_(ids))
                                    .order_by(ContractorAddress.created_at, ContractorAddress.id))).scalars():
        places.setdefault(a.contractor_id, []).append(a)
    for item in items:
        cid = item["id"]
        item["roles"] = [{"id": rt.id, "roleTypeId": rt.id, "roleTypeName": rt.name, "roleTypeCode": rt.code,
                          "roleTypeColor": rt.color, "roleTypeCategory": rt.category, "isActive": True}
                         for rt in (roles.get(r) for r in item["roleTypeIds"]) if rt is not None]
        limit, term = limits.get(cid), terms.get(cid)
        item["creditLimit"] = {"creditLimit": str(limit.credit_limit), "currencyCode": limit.currency_code,
                               "isUnlimited": limit.is_unlimited,
                               "currentExposure": str(limit.current_exposure),
                               "isOverLimit": over_limit(limit)} if limit else None
        item["paymentTerms"] = {"paymentDays": term.payment_days, "paymentMethod": term.payment_method,
                                "currencyCode": term.currency_code} if term else None
        contact = _primary(contacts.get(cid, []))
        item["primaryContactId"] = contact.id if contact else None
        item["primaryContactEmail"] = contact.email if contact else None
        item["primaryContactPhone"] = contact.phone if contact else None
        address = _primary(places.get(cid, []))
        item["primaryAddress"] = {"addressLine": address.address_line, "city": address.city,
                                  "country": address.country} if address else None


def over_limit(limit: ContractorCreditLimit) -> bool:
    return not limit.is_unlimited and Decimal(limit.current_exposure or 0) > Decimal(limit.credit_limit or 0)


def _exceeded() -> Any:
    return exists().where(ContractorCreditLimit.contractor_id == Contractor.id,
                          ContractorCreditLimit.is_unlimited.is_(False),
                          ContractorCreditLimit.current_exposure > ContractorCreditLimit.credit_limit)


def _credit_exceeded(stmt: Select[Any], raw: str) -> Select[Any]:
    return stmt.where(_exceeded() if parse_bool(raw, "creditExceeded") else ~_exceeded())


def _role_category(stmt: Select[Any], raw: str) -> Select[Any]:
    if raw not in ROLE_CATEGORIES:
        raise problem("roleCategory", f"Expected one of {', '.join(ROLE_CATEGORIES)}")
    return stmt.where(exists().where(
        ContractorRoleLink.contractor_id == Contractor.id, ContractorRoleType.id == ContractorRoleLink.role_type_id,
        ContractorRoleType.category == raw, ContractorRoleType.is_active.is_(True)))


def _role_type(stmt: Select[Any], raw: str) -> Select[Any]:
    return stmt.where(exists().where(ContractorRoleLink.contractor_id == Contractor.id,
                                     ContractorRoleLink.role_type_id == raw.strip()))


def _country(stmt: Select[Any], raw: str) -> Select[Any]:
    return stmt.where(exists().where(ContractorAddress.contractor_id == Contractor.id,
                                     ContractorAddress.is_active.is_(True),
                                     func.lower(ContractorAddress.country) == raw.strip().lower()))


CONTRACTOR_ITEM = ("id", "name", "short_name", "parent_id", "tax_id", "is_active", "organization_id", "tenant_id",
                   "created_at", "updated_at")

# The reference's names for paging and sorting, and the platform's (`pageSize`, `sortField`, `sortDir`), which
# the reference's own screens also send: a list takes either.
LISTS = Dialect(aliases=(("sortBy", "sortField"), ("sortOrder", "sortDir"), ("pageSize", "limit")))

contractors = Resource(
    path="/contractors/contractors",
    model=Contractor,
    entity="contractors.contractor",
    create_schema=ContractorCreate,
    update_schema=ContractorUpdate,
    features=Features(VIEW, CREATE, EDIT, DELETE),
    tag=TAG,
    label="Contractor",
    operations=frozenset({"list", "create", "update", "delete"}),
    by_id=frozenset({"delete"}),
    deleted_body=None,  # the reference answers its deletes 204
    dialect=LISTS,
    descriptions={"list": "Returns a page of contractors in the current scope, each with its roles, credit and "
                          "payment summary, primary contact and primary address.",
                  "create": "Creates a contractor; the body may nest `contacts`, `addresses`, `paymentTerms` and "
                            "`creditLimit` (and `primaryContactEmail`/`primaryContactPhone`), all written together."},
    search=(Contractor.name, Contractor.short_name, Contractor.tax_id),
    sort=Sort((Contractor.name, Contractor.short_name, Contractor.tax_id, Contractor.is_active,
               Contractor.created_at, Contractor.updated_at), default=Contractor.created_at, direction="desc"),
    filters={
        "isActive": Filter.eq(Contractor.is_active, "Active or not"),
        "hasParent": Filter.has(Contractor.parent_id, "true: branches only, false: top-level contractors only"),
        "parentId": Filter.uuid(Contractor.parent_id, "Branches of this contractor"),
        "roleCategory": Filter.using(_role_category, "Contractors playing an active role of this category: "
                                                     + ", ".join(ROLE_CATEGORIES)),
        "roleTypeId": Filter.using(_role_type, "Contractors playing this role type"),
        "creditExceeded": Filter.using(_credit_exceeded, "true: contractors whose current exposure is above their "
                                                         "(limited) credit limit; false: the others"),
        "country": Filter.using(_country, "Contractors with an active address in this country"),
    },
    envelope=Envelope.LIMIT,
    fields=Fields(*CONTRACTOR_ITEM, computed={"roleTypeIds": lambda row: list(row.role_type_ids or [])}),
    hooks=Hooks(before_create=_contractor_before_create, after_create=_contractor_after_create,
                before_update=_contractor_before_update, after_update=_contractor_after_update,
                after_undo=_contractor_after_undo, decorate=_decorate_contractors),
)


# --- children of a contractor ---------------------------------------------------------------------------------

async def _place_child(write: Write) -> None:
    """A child lives where its contractor lives (the caller must see the contractor: 404 otherwise)."""
    _no_nulls(write)
    contractor_id = getattr(write.body, "contractor_id", None)
    parent = await crud.get_row(contractors, write.ctx, write.session, contractor_id, custom=False)
    write.values["organization_id"] = parent.organization_id
    write.values["contractor_id"] = parent.id


async def _before_child_update(write: Write) -> None:
    _no_nulls(write)


def _child(model: Any) -> Parent:
    return Parent(param="contractorId", column=model.contractor_id, resource=contractors, required_on_list=False,
                  checked_by_hook=True)


CHILD = ("id", "contractor_id")
SCOPE = ("organization_id", "tenant_id", "created_at", "updated_at")

addresses = Resource(
    path="/contractors/addresses",
    model=ContractorAddress,
    entity="contractors.address",
    create_schema=AddressCreate,
    update_schema=AddressUpdate,
    features=Features(VIEW, EDIT, EDIT, EDIT),
    tag=TAG,
    label="Address",
    plural="Addresses",
    operations=frozenset({"list", "create", "update", "delete"}),
    deleted_body=None,  # the reference answers its deletes 204
    dialect=LISTS,
    descriptions={"list": "Returns a page of contractor addresses (`contractorId`: one contractor's)."},
    sort=Sort((ContractorAddress.purpose, ContractorAddress.city, ContractorAddress.country,
               ContractorAddress.is_primary, ContractorAddress.created_at, ContractorAddress.updated_at),
              default=ContractorAddress.created_at),
    search=(ContractorAddress.address_line, ContractorAddress.city, ContractorAddress.country),
    filters={"purpose": Filter.eq(ContractorAddress.purpose, "Only this purpose",
                                  ("office", "warehouse", "billing", "shipping", "other")),
             "isPrimary": Filter.eq(ContractorAddress.is_primary, "Primary or not"),
             "isActive": Filter.eq(ContractorAddress.is_active, "Active or not")},
    envelope=Envelope.LIMIT,
    fields=Fields(*CHILD, "purpose", "address_line", "city", "state", "postal_code", "country", "is_primary",
                  "is_active", *SCOPE),
    parent=_child(ContractorAddress),
    soft_delete=False,
    # A contractor has one primary address: marking one unmarks the others.
    exclusive=Exclusive(ContractorAddress.is_primary, among=ContractorAddress.contractor_id),
    hooks=Hooks(before_create=_place_child, before_update=_before_child_update),
)

contacts_res = Resource(
    path="/contractors/contacts",
    model=ContractorContact,
    entity="contractors.contact",
    create_schema=ContactCreate,
    update_schema=ContactUpdate,
    features=Features(VIEW, EDIT, EDIT, EDIT),
    tag=TAG,
    label="Contact",
    operations=frozenset({"list", "create", "update", "delete"}),
    deleted_body=None,  # the reference answers its deletes 204
    dialect=LISTS,
    descriptions={"list": "Returns a page of contractor contacts (`contractorId`: one contractor's)."},
    sort=Sort((ContractorContact.first_name, ContractorContact.last_name, ContractorContact.email,
               ContractorContact.is_primary, ContractorContact.created_at, ContractorContact.updated_at),
              default=ContractorContact.created_at),
    search=(ContractorContact.first_name, ContractorContact.last_name, ContractorContact.email,
            ContractorContact.phone),
    filters={"isPrimary": Filter.eq(ContractorContact.is_primary, "Primary or not"),
             "isActive": Filter.eq(ContractorContact.is_active, "Active or not")},
    envelope=Envelope.LIMIT,
    fields=Fields(*CHILD, "first_name", "last_name", "email", "phone", "is_primary", "is_active", *SCOPE),
    parent=_child(ContractorContact),
    soft_delete=False,
    exclusive=Exclusive(ContractorContact.is_primary, among=ContractorContact.contractor_id),
    hooks=Hooks(before_create=_place_child, before_update=_before_child_update),
)


def _mask_iban(iban: str | None) -> str | None:
    if not iban:
        return None
    return "****" if len(iban) <= 8 else f"{iban[:4]}****{iban[-4:]}"


# Bank details are shown masked in lists (the contractor's detail shows them in full to its editors).
payment_terms = Resource(
    path="/contractors/payment-terms",
    model=ContractorPaymentTerms,
    entity="contractors.payment_terms",
    create_schema=PaymentTermsUpsert,
    update_schema=None,
    features=Features(VIEW, FINANCIAL, FINANCIAL, FINANCIAL),
    tag=TAG,
    label="Payment terms",
    plural="Payment terms",
    # POST and PUT are one upsert per contractor.
    upsert_by=(ContractorPaymentTerms.contractor_id,),
    deleted_body=None,  # the reference answers its deletes 204
    dialect=LISTS,
    descriptions={"list": "Returns a page of payment terms, bank details masked (`contractorId`: one contractor's)."},
    sort=Sort((ContractorPaymentTerms.payment_days, ContractorPaymentTerms.currency_code,
               ContractorPaymentTerms.created_at, ContractorPaymentTerms.updated_at),
              default=ContractorPaymentTerms.created_at),
    filters={"paymentMethod": Filter.eq(ContractorPaymentTerms.payment_method, "Only this payment method",
                                        ("bank_transfer", "card", "cash")),
             "currencyCode": Filter.eq(ContractorPaymentTerms.currency_code, "Only this currency")},
    envelope=Envelope.LIMIT,
    fields=Fields(*CHILD, "payment_days", "payment_method", "currency_code", "bank_name", "swift_bic", "notes",
                  *SCOPE, computed={
                      "bankAccountNumber": lambda r: "****" if r.bank_account_number else None,
                      "bankRoutingNumber": lambda r: "****" if r.bank_routing_number else None,
                      "iban": lambda r: _mask_iban(r.iban)}),
    parent=_child(ContractorPaymentTerms),
    soft_delete=False,
    hooks=Hooks(before_create=_place_child, before_update=_before_child_update),
)


def _available(row: ContractorCreditLimit) -> str:
    return str(max(Decimal(0), Decimal(row.credit_limit or 0) - Decimal(row.current_exposure or 0)).quantize(
        Decimal("0.01")))


def _percentage(row: ContractorCreditLimit) -> str:
    limit, exposure = Decimal(row.credit_limit or 0), Decimal(row.current_exposure or 0)
    return str((exposure / limit * 100).quantize(Decimal("0.1")) if limit > 0 else Decimal("0.0"))


def _limit_exceeded(stmt: Select[Any], raw: str) -> Select[Any]:
    over = and_(ContractorCreditLimit.is_unlimited.is_(False),
                ContractorCreditLimit.current_exposure > ContractorCreditLimit.credit_limit)
    return stmt.where(over if parse_bool(raw, "creditExceeded") else ~over)


credit_limits = Resource(
    path="/contractors/credit-limits",
    model=ContractorCreditLimit,
    entity="contractors.credit_limit",
    create_schema=CreditLimitUpsert,
    update_schema=None,
    features=Features(VIEW, FINANCIAL, FINANCIAL, FINANCIAL),
    tag=TAG,
    label="Credit limit",
    # POST and PUT are one upsert per contractor.
    upsert_by=(ContractorCreditLimit.contractor_id,),
    deleted_body=None,  # the reference answers its deletes 204
    dialect=LISTS,
    descriptions={"list": "Returns a page of credit limits with the available credit, the exposure percentage and "
                          "whether the limit is exceeded (`contractorId`: one contractor's)."},
    sort=Sort((ContractorCreditLimit.credit_limit, ContractorCreditLimit.current_exposure,
               ContractorCreditLimit.currency_code, ContractorCreditLimit.created_at,
               ContractorCreditLimit.updated_at), default=ContractorCreditLimit.created_at),
    filters={"isUnlimited": Filter.eq(ContractorCreditLimit.is_unlimited, "Unlimited or not"),
             "creditExceeded": Filter.using(_limit_exceeded, "true: exposure above a limited credit limit; "
                                                             "false: the others")},
    envelope=Envelope.LIMIT,
    fields=Fields(*CHILD, "credit_limit", "currency_code", "is_unlimited", "current_exposure", "notes", *SCOPE,
                  computed={"availableCredit": _available, "exposurePercentage": _percentage,
                            "isOverLimit": over_limit}),
    parent=_child(ContractorCreditLimit),
    soft_delete=False,
    hooks=Hooks(before_create=_place_child, before_update=_before_child_update),
)


# --- role types ------------------------------------------------------------------------------------------------

async def _role_type_before_create(write: Write) -> None:
    _no_nulls(write)


async def _role_type_before_delete(write: Write) -> None:
    """A role type a live contractor plays stays: deleting it would leave that contractor naming nothing."""
    used = (await write.session.execute(select(ContractorRoleLink.contractor_id).join(
        Contractor, Contractor.id == ContractorRoleLink.contractor_id).where(
        ContractorRoleLink.role_type_id == write.row.id, Contractor.deleted_at.is_(None)).limit(1))).first()
    if used is not None:
        raise Conflict("Role type is assigned to contractors")


role_types = Resource(
    path="/contractors/role-types",
    model=ContractorRoleType,
    entity="contractors.role_type",
    create_schema=RoleTypeCreate,
    update_schema=RoleTypeUpdate,
    features=Features(VIEW, ADMIN, ADMIN, ADMIN),
    tag=TAG,
    label="Role type",
    operations=frozenset({"list", "create", "update", "delete"}),
    deleted_body=None,  # the reference answers its deletes 204
    dialect=LISTS,
    descriptions={"list": "Returns a page of contractor role types."},
    search=(ContractorRoleType.name, ContractorRoleType.code, ContractorRoleType.description),
    sort=Sort((ContractorRoleType.name, ContractorRoleType.code, ContractorRoleType.category,
               ContractorRoleType.sort_order, ContractorRoleType.created_at, ContractorRoleType.updated_at),
              default=ContractorRoleType.sort_order),
    filters={"category": Filter.eq(ContractorRoleType.category, "Only this category", ROLE_CATEGORIES),
             "isActive": Filter.eq(ContractorRoleType.is_active, "Active or not")},
    envelope=Envelope.LIMIT,
    fields=Fields("id", "code", "name", "category", "description", "color", "icon", "has_custom_fields",
                  "sort_order", "is_system", "is_active", *SCOPE),
    soft_delete=False,
    hooks=Hooks(before_create=_role_type_before_create, before_update=_before_child_update,
                before_delete=_role_type_before_delete),
)

RESOURCES = (contractors, addresses, contacts_res, role_types, payment_terms, credit_limits)
