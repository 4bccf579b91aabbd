"""The catalog's public surface for other modules (sales lines, bookings): price layers of products
and their resolution with the `catalog.pricing.resolve.before/after` hooks.

**Pricing hooks.** A module adds to price resolution by declaring, in its manifest's `subscribers`,
a handler for `catalog.pricing.resolve.before` or `catalog.pricing.resolve.after` (the reference
platform's names for these points). They run in process, in the request, around the selection:
the handler gets a `DomainEvent` whose `payload["call"]` is the `pricing.PricingCall` to change
(`set_layers`, `set_context`, `set_result`). These names are never written to the outbox, so the
worker's dispatcher never delivers them. `resolve_price(..., hooks=...)` takes hooks explicitly
instead (tests, benchmarks, a caller with its own rules)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import new_id, utcnow
from api.modules.catalog.models import Offer, Price, PriceKind, Product
from api.modules.catalog.pricing import (
    PriceBook,
    PriceLayer,
    PricingCall,
    PricingContext,
    ResolvedPrice,
    amounts,
    choose,
)
from api.outbox import DomainEvent

BEFORE = "catalog.pricing.resolve.before"
AFTER = "catalog.pricing.resolve.after"

AsyncHook = Callable[[DomainEvent], Awaitable[None]]


@dataclass(frozen=True)
class PricingHooks:
    before: tuple[AsyncHook, ...] = ()
    after: tuple[AsyncHook, ...] = ()


_manifest_hooks: PricingHooks | None = None


def manifest_hooks() -> PricingHooks:
    """The hooks the modules' manifests declare, collected once per process."""
    global _manifest_hooks
    if _manifest_hooks is None:
        from api.manifest import modules

        subs = [s for m in modules() for s in m.subscribers]
        _manifest_hooks = PricingHooks(
            # By exact name: a catch-all outbox subscriber ("*") is not a pricing hook.
            before=tuple(handler for pattern, handler in subs if pattern == BEFORE),
            after=tuple(handler for pattern, handler in subs if pattern == AFTER),
        )
    return _manifest_hooks


def _event(name: str, call: PricingCall, tenant_id: str | None, organization_id: str | None) -> DomainEvent:
    return DomainEvent(id=new_id(), seq=0, name=name, tenant_id=tenant_id, organization_id=organization_id,
                       payload={"call": call}, created_at=utcnow())


_PRICE_COLUMNS = (Price.id, Price.currency_code, Price.kind, Price.price_kind_id, Price.product_id, Price.variant_id,
                  Price.offer_id, Price.channel_id, Price.user_id, Price.user_group_id, Price.customer_id,
                  Price.customer_group_id, Price.min_quantity, Price.max_quantity, Price.unit_price_net,
                  Price.unit_price_gross, Price.tax_rate, Price.starts_at, Price.ends_at)


async def price_layers(session: AsyncSession, *, tenant_id: str, product_ids: Iterable[str],
                       organization_ids: Iterable[str] | None = None) -> dict[str, list[PriceLayer]]:
    """The live price layers of each product (its own, its variants' and its offers'), in one query.
    Read as column rows, not ORM objects: a product may have thousands of layers."""
    ids = list(dict.fromkeys(product_ids))
    out: dict[str, list[PriceLayer]] = {i: [] for i in ids}
    if not ids:
        return out
    stmt = (select(*_PRICE_COLUMNS, PriceKind.id.label("kind_id"), PriceKind.code.label("kind_code"),
                   PriceKind.is_promotion.label("kind_promotion"), Offer.channel_id.label("offer_channel"))
            .outerjoin(PriceKind, PriceKind.id == Price.price_kind_id)
            .outerjoin(Offer, Offer.id == Price.offer_id)
            .where(Price.tenant_id == tenant_id, Price.product_id.in_(ids), Price.deleted_at.is_(None),
                   or_(PriceKind.id.is_(None), PriceKind.is_active.is_(True)))
            .order_by(Price.created_at, Price.id))
    if organization_ids is not None:
        stmt = stmt.where(Price.organization_id.in_(list(organization_ids)))
    for r in (await session.execute(stmt)).all():
        has_kind = r.kind_id is not None
        out[str(r.product_id)].append(PriceLayer(
            id=r.id, currency_code=r.currency_code, kind=(r.kind_code if has_kind else r.kind) or "regular",
            price_kind_id=r.price_kind_id, is_promotion=bool(r.kind_promotion) if has_kind else False,
            product_id=r.product_id, variant_id=r.variant_id, offer_id=r.offer_id,
            channel_id=r.channel_id or r.offer_channel, user_id=r.user_id, user_group_id=r.user_group_id,
            customer_id=r.customer_id, customer_group_id=r.customer_group_id, min_quantity=r.min_quantity or 1,
            max_quantity=r.max_quantity, unit_price_net=r.unit_price_net, unit_price_gross=r.unit_price_gross,
            tax_rate=r.tax_rate, starts_at=r.starts_at, ends_at=r.ends_at))
    return out


# Built price books, reused while the rows they were built from are unchanged. The fingerprint of a
# product's book is read from the database on every use (one aggregate query for all of an order's
# products), so a price, offer or price-kind write by any process invalidates it: the count and the
# latest `updated_at` of the product's prices (deleted ones included) and offers, and of the tenant's
# price kinds. Writes stamp `updated_at` with their process's clock; the age limit bounds what clock
# skew between API processes could leave unnoticed.
_BOOKS: OrderedDict[tuple[str, str, tuple[str, ...] | None], tuple[tuple[Any, ...], float, PriceBook]] = OrderedDict()
BOOK_CACHE_SIZE = 256
BOOK_MAX_AGE_SECONDS = 300.0


async def _fingerprints(session: AsyncSession, tenant_id: str, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    prices = (select(literal("p").label("what"), Price.product_id.label("product_id"), func.count().label("n"),
                     func.max(Price.updated_at).label("latest"))
              .where(Price.tenant_id == tenant_id, Price.product_id.in_(ids)).group_by(Price.product_id))
    offers = (select(literal("o"), Offer.product_id, func.count(), func.max(Offer.updated_at))
              .where(Offer.tenant_id == tenant_id, Offer.product_id.in_(ids)).group_by(Offer.product_id))
    kinds = (select(literal("k"), literal(None), func.count(), func.max(PriceKind.updated_at))
             .where(PriceKind.tenant_id == tenant_id))
    parts: dict[str | None, list[Any]] = {}
    rows: list[Any] = list((await session.execute(union_all(prices, offers, kinds))).all())
    for what, product_id, n, latest in rows:
        parts.setdefault(product_id, []).append((what, n, str(latest)))
    shared = tuple(parts.get(None, ()))
    return {i: (*sorted(parts.get(i, ())), *shared) for i in ids}


async def price_books(session: AsyncSession, *, tenant_id: str, product_ids: Iterable[str],
                      organization_ids: Iterable[str] | None = None) -> dict[str, PriceBook]:
    """Each product's live price layers as a `PriceBook`: one aggregate query checks the books built
    earlier (in any request of this process), and the products whose rows changed are loaded in one
    query and indexed again."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    scope = None if organization_ids is None else tuple(sorted(set(organization_ids)))
    prints = await _fingerprints(session, tenant_id, ids)
    now = time.monotonic()
    out: dict[str, PriceBook] = {}
    for i in ids:
        cached = _BOOKS.get((tenant_id, i, scope))
        if cached is not None and cached[0] == prints[i] and now - cached[1] < BOOK_MAX_AGE_SECONDS:
            _BOOKS.move_to_end((tenant_id, i, scope))
            out[i] = cached[2]
    missing = [i for i in ids if i not in out]
    if missing:
        loaded = await price_layers(session, tenant_id=tenant_id, product_ids=missing, organization_ids=scope)
        for i in missing:
            out[i] = PriceBook.of(loaded[i])
            _BOOKS[(tenant_id, i, scope)] = (prints[i], now, out[i])
            _BOOKS.move_to_end((tenant_id, i, scope))
        while len(_BOOKS) > BOOK_CACHE_SIZE:
            _BOOKS.popitem(last=False)
    return out


async def resolve_prices(session: AsyncSession, *, tenant_id: str, lines: Sequence[tuple[str, PricingContext]],
                         organization_ids: Iterable[str] | None = None, decimals: int | None = None,
                         hooks: PricingHooks | None = None,
                         organization_id: str | None = None) -> list[ResolvedPrice | None]:
    """The price of each `(product_id, context)` of an order, in order: the layers of all its products
    come from `price_books` (one query when nothing changed), then each line is chosen as
    `resolve_price` chooses it (same hooks, same selection) and priced for its quantity."""
    for n, (_, ctx) in enumerate(lines):
        if ctx.quantity <= 0:
            from api.errors import BadRequest
            raise BadRequest("Invalid input", [{"path": ["lines", n, "quantity"],
                                                "message": "Quantity must be positive"}])
    books = await price_books(session, tenant_id=tenant_id, product_ids=[p for p, _ in lines],
                              organization_ids=organization_ids)
    hooks = manifest_hooks() if hooks is None else hooks
    out: list[ResolvedPrice | None] = []
    for product_id, ctx in lines:
        layer = await resolve(books[product_id], ctx, hooks=hooks, tenant_id=tenant_id,
                              organization_id=organization_id)
        out.append(amounts(layer, ctx.quantity, decimals=decimals) if layer is not None else None)
    return out


async def resolve(layers: Sequence[PriceLayer] | PriceBook, ctx: PricingContext, *,
                  hooks: PricingHooks | None = None, tenant_id: str | None = None,
                  organization_id: str | None = None) -> PriceLayer | None:
    """The applicable layer, with the before/after hooks (the manifests' unless `hooks` is given)."""
    hooks = manifest_hooks() if hooks is None else hooks
    if isinstance(layers, PriceBook):
        if not hooks.before and not hooks.after:
            return layers.select(ctx)  # what `choose` would do, without a call object per line
        call = PricingCall(layers.layers(), ctx, book=layers)
    else:
        call = PricingCall(layers, ctx)
    for hook in hooks.before:
        await hook(_event(BEFORE, call, tenant_id, organization_id))
    choose(call)
    for hook in hooks.after:
        await hook(_event(AFTER, call, tenant_id, organization_id))
    return call.result


async def resolve_price(session: AsyncSession, *, tenant_id: str, product_id: str, at: datetime | None = None,
                        quantity: Decimal | int = 1, currency_code: str | None = None,
                        variant_id: str | None = None, offer_id: str | None = None, channel_id: str | None = None,
                        customer_id: str | None = None, customer_group_id: str | None = None,
                        user_id: str | None = None, user_group_id: str | None = None,
                        organization_ids: Iterable[str] | None = None, decimals: int | None = None,
                        hooks: PricingHooks | None = None) -> ResolvedPrice | None:
    """The price of `quantity` units of a product (or variant, or offer) for a sale: net, gross, tax
    and line totals rounded to the currency's decimal places (`decimals` overrides ISO 4217's)."""
    qty = Decimal(quantity)
    if qty <= 0:
        from api.errors import BadRequest
        raise BadRequest("Invalid input", [{"path": ["quantity"], "message": "Quantity must be positive"}])
    ctx = PricingContext(at=at or utcnow(), quantity=qty, currency_code=currency_code, variant_id=variant_id,
                         offer_id=offer_id, channel_id=channel_id, user_id=user_id, user_group_id=user_group_id,
                         customer_id=customer_id, customer_group_id=customer_group_id)
    return (await resolve_prices(session, tenant_id=tenant_id, lines=[(product_id, ctx)],
                                 organization_ids=organization_ids, decimals=decimals, hooks=hooks))[0]


async def product_exists(session: AsyncSession, *, tenant_id: str, product_id: str) -> bool:
    found = (await session.execute(select(Product.id).where(
        Product.tenant_id == tenant_id, Product.id == product_id, Product.deleted_at.is_(None)))).first()
    return found is not None


def pricing_item(layer: PriceLayer) -> dict[str, Any]:
    """A resolved layer as the products list shows it (`pricing`)."""
    def text(value: Decimal | None) -> str | None:
        return None if value is None else format(value, "f")

    return {
        "kind": layer.kind, "price_kind_id": layer.price_kind_id, "price_kind_code": layer.kind,
        "currency_code": layer.currency_code, "unit_price_net": text(layer.unit_price_net),
        "unit_price_gross": text(layer.unit_price_gross), "min_quantity": layer.min_quantity,
        "max_quantity": layer.max_quantity, "tax_rate": text(layer.tax_rate),
        "tax_amount": text(layer.unit_price_gross - layer.unit_price_net)
        if layer.unit_price_gross is not None and layer.unit_price_net is not None else None,
        "scope": {"variant_id": layer.variant_id, "offer_id": layer.offer_id, "channel_id": layer.channel_id,
                  "user_id": layer.user_id, "user_group_id": layer.user_group_id,
                  "customer_id": layer.customer_id, "customer_group_id": layer.customer_group_id},
    }
