"""Price resolution, pure: which price layer applies to a sale, and what it amounts to.

Nothing here touches the database, the clock or the network: callers pass the layers, the context
(the moment included) and the currency's decimal places. `api.modules.catalog.service` loads the
layers and runs the `catalog.pricing.resolve.before/after` hooks around `select_price`.

Precedence follows the reference platform. A layer *applies* when the quantity is within
`[min_quantity, max_quantity]`, the moment within `[starts_at, ends_at]`, and every dimension the
layer names (channel, offer, variant, customer, customer group, user, user group, currency) equals the
context's; a dimension the layer leaves empty applies to everyone. Among the layers that apply, the
most specific wins by score: the kind (custom 5, promotion 4, tier 3, anything else 2), plus variant
8, offer 6, channel 5, user 5, user group 4, customer 4, customer group 3, and 1 for a quantity tier
above 1. Ties go to the layer that started latest, then (same kind) the higher quantity tier, (other
kinds) the lower one; then the smaller id, so the answer never depends on the order rows load in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cmp_to_key
from typing import Any

HUNDRED = Decimal(100)
ZERO = Decimal(0)

# ISO 4217 minor units of the currencies that do not use two; every other code has two. Callers that
# know better (the currencies module's own table) pass `decimals` explicitly.
MINOR_UNITS: Mapping[str, int] = {
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "CLF": 4, "UYW": 4,
}


def decimal_places(currency_code: str | None, decimals: int | None = None) -> int:
    if decimals is not None:
        return decimals
    return MINOR_UNITS.get((currency_code or "").upper(), 2)


def round_money(amount: Decimal, places: int) -> Decimal:
    """Half away from zero, as invoices round (Python's default would round half to even)."""
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PriceLayer:
    """One price row as resolution sees it. `channel_id` is the row's own channel, else its offer's."""

    id: str
    currency_code: str
    kind: str = "regular"
    price_kind_id: str | None = None
    is_promotion: bool = False
    product_id: str | None = None
    variant_id: str | None = None
    offer_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    user_group_id: str | None = None
    customer_id: str | None = None
    customer_group_id: str | None = None
    min_quantity: int = 1
    max_quantity: int | None = None
    unit_price_net: Decimal | None = None
    unit_price_gross: Decimal | None = None
    tax_rate: Decimal | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class PricingContext:
    """Who buys what, where, how many and when. `at` is the moment prices are valid for."""

    at: datetime
    quantity: Decimal = Decimal(1)
    currency_code: str | None = None
    variant_id: str | None = None
    offer_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    user_group_id: str | None = None
    customer_id: str | None = None
    customer_group_id: str | None = None


@dataclass(frozen=True)
class ResolvedPrice:
    """The winning layer and what it amounts to: unit amounts at the layer's precision, line totals
    (unit × quantity) rounded to the currency's decimal places."""

    layer: PriceLayer
    currency_code: str
    quantity: Decimal
    tax_rate: Decimal
    unit_net: Decimal
    unit_gross: Decimal
    unit_tax: Decimal
    total_net: Decimal
    total_gross: Decimal
    total_tax: Decimal


# --- which layer -------------------------------------------------------------------------------------

_SCOPES = ("channel_id", "user_id", "user_group_id", "customer_id", "customer_group_id")


def applies(layer: PriceLayer, ctx: PricingContext) -> bool:
    if ctx.quantity < layer.min_quantity:
        return False
    if layer.max_quantity is not None and ctx.quantity > layer.max_quantity:
        return False
    if layer.starts_at is not None and ctx.at < layer.starts_at:
        return False
    if layer.ends_at is not None and ctx.at > layer.ends_at:
        return False
    if ctx.currency_code and layer.currency_code != ctx.currency_code:
        return False
    # A variant's price is for that variant only; a product's price for every variant.
    if layer.variant_id is not None and layer.variant_id != ctx.variant_id:
        return False
    if layer.offer_id is not None and ctx.offer_id is not None and layer.offer_id != ctx.offer_id:
        return False
    return all(getattr(layer, s) is None or getattr(layer, s) == getattr(ctx, s) for s in _SCOPES)


def score(layer: PriceLayer) -> int:
    kind = layer.kind
    points = 5 if kind == "custom" else 3 if kind == "tier" else 4 if kind == "promotion" or layer.is_promotion else 2
    points += 8 if layer.variant_id else 0
    points += 6 if layer.offer_id else 0
    points += 5 if layer.channel_id else 0
    points += 5 if layer.user_id else 0
    points += 4 if layer.user_group_id else 0
    points += 4 if layer.customer_id else 0
    points += 3 if layer.customer_group_id else 0
    points += 1 if layer.min_quantity > 1 else 0
    return points


def _start(layer: PriceLayer) -> float:
    return layer.starts_at.timestamp() if layer.starts_at is not None else 0.0


def compare(a: PriceLayer, b: PriceLayer) -> int:
    """Negative when `a` takes precedence over `b`."""
    if (diff := score(b) - score(a)) != 0:
        return diff
    start_a, start_b = _start(a), _start(b)
    if start_a != start_b:
        return -1 if start_a > start_b else 1
    if a.min_quantity != b.min_quantity:
        return b.min_quantity - a.min_quantity if a.kind == b.kind else a.min_quantity - b.min_quantity
    # Not the reference's (it keeps the rows' order): the same answer whatever order rows load in.
    return -1 if a.id < b.id else 1 if a.id > b.id else 0


precedence = cmp_to_key(compare)


def select_price(layers: Iterable[PriceLayer], ctx: PricingContext) -> PriceLayer | None:
    """The layer that applies to `ctx` with the highest precedence, or None."""
    candidates = [layer for layer in layers if applies(layer, ctx)]
    if not candidates:
        return None
    return min(candidates, key=precedence)


# --- many resolutions against the same layers ---------------------------------------------------------

_DIMS = ("variant_id", *_SCOPES)


def _rank(layer: PriceLayer) -> tuple[int, float, int, str]:
    """Precedence within one group (same dimensions): score and start decide; equal ones are settled
    by `compare` at selection time (its quantity rule depends on the pair's kinds)."""
    return (-score(layer), -_start(layer), -layer.min_quantity, layer.id)


@dataclass
class PriceBook:
    """The layers of one product grouped by the dimensions they name (currency, variant, channel, user,
    user group, customer, customer group) and, inside, by kind, each run in precedence order. A
    resolution looks up only the groups the context can match (each dimension either unnamed or the
    context's value: at most 2^6 keys per currency), takes the first applicable layer of each run, and
    keeps the best of those. Built once per product, it answers every line of an order without
    rescanning thousands of layers."""

    groups: dict[tuple[str | None, ...], list[list[PriceLayer]]] = field(default_factory=dict)
    currencies: tuple[str, ...] = ()

    @classmethod
    def of(cls, layers: Iterable[PriceLayer]) -> PriceBook:
        book = cls()
        runs: dict[tuple[str | None, ...], dict[str, list[tuple[tuple[int, float, int, str], PriceLayer]]]] = {}
        for layer in layers:
            key: tuple[str | None, ...] = (layer.currency_code, layer.variant_id, layer.channel_id, layer.user_id,
                                           layer.user_group_id, layer.customer_id, layer.customer_group_id)
            runs.setdefault(key, {}).setdefault(layer.kind, []).append((_rank(layer), layer))
        for key, by_kind in runs.items():
            # Within one kind, score, start, then the higher quantity tier and the id: `compare`'s order.
            # Of layers that apply to exactly the same sales (same offer, range and window), only the
            # first can ever win: the others are left out of the run.
            kept: list[list[PriceLayer]] = []
            for run in by_kind.values():
                seen: set[tuple[Any, ...]] = set()
                ordered: list[PriceLayer] = []
                for _, layer in sorted(run, key=lambda pair: pair[0]):
                    same = (layer.offer_id, layer.min_quantity, layer.max_quantity, layer.starts_at, layer.ends_at)
                    if same not in seen:
                        seen.add(same)
                        ordered.append(layer)
                kept.append(ordered)
            book.groups[key] = kept
        book.currencies = tuple(sorted({str(k[0]) for k in book.groups}))
        return book

    def layers(self) -> list[PriceLayer]:
        return [layer for group in self.groups.values() for run in group for layer in run]

    def _keys(self, ctx: PricingContext) -> list[tuple[str | None, ...]]:
        keys: list[tuple[str | None, ...]] = [(c,) for c in ((ctx.currency_code,) if ctx.currency_code
                                                              else self.currencies)]
        for dim in _DIMS:
            value = getattr(ctx, dim)
            keys = [(*k, None) for k in keys] + ([(*k, value) for k in keys] if value is not None else [])
        return keys

    def select(self, ctx: PricingContext) -> PriceLayer | None:
        best: PriceLayer | None = None
        groups = self.groups
        for key in self._keys(ctx):
            for run in groups.get(key, ()):
                for layer in run:
                    if applies(layer, ctx):
                        if best is None or compare(layer, best) < 0:
                            best = layer
                        break
        return best


# --- what it amounts to ------------------------------------------------------------------------------

def amounts(layer: PriceLayer, quantity: Decimal, *, decimals: int | None = None) -> ResolvedPrice:
    """Net, gross and tax of `quantity` units at `layer`. A layer with only one of net and gross gets
    the other from its tax rate (none: 0%); with both, the tax is their difference."""
    rate = layer.tax_rate if layer.tax_rate is not None else ZERO
    factor = 1 + rate / HUNDRED
    net, gross = layer.unit_price_net, layer.unit_price_gross
    if net is None and gross is None:
        net = gross = ZERO
    elif gross is None:
        assert net is not None
        gross = net * factor
    elif net is None:
        net = gross / factor
    assert net is not None and gross is not None
    places = decimal_places(layer.currency_code, decimals)
    unit_places = max(places, 4)
    total_net = round_money(net * quantity, places)
    total_gross = round_money(gross * quantity, places)
    return ResolvedPrice(
        layer=layer, currency_code=layer.currency_code, quantity=quantity, tax_rate=rate,
        unit_net=round_money(net, unit_places), unit_gross=round_money(gross, unit_places),
        unit_tax=round_money(gross - net, unit_places),
        total_net=total_net, total_gross=total_gross, total_tax=total_gross - total_net,
    )


# --- extension points --------------------------------------------------------------------------------

@dataclass
class PricingCall:
    """What `catalog.pricing.resolve.before` and `.after` hooks see and may change: a before hook may
    replace the layers or the context, or decide the result (resolution then skips the selection);
    an after hook may replace the result."""

    layers: Sequence[PriceLayer]
    context: PricingContext
    # The same layers, indexed (when the caller built one); dropped when a hook replaces the layers.
    book: PriceBook | None = None
    result: PriceLayer | None = None
    decided: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    def set_layers(self, layers: Sequence[PriceLayer]) -> None:
        self.layers, self.book = list(layers), None

    def set_result(self, layer: PriceLayer | None) -> None:
        self.result, self.decided = layer, True

    def set_context(self, **changes: Any) -> None:
        self.context = replace(self.context, **changes)


Hook = Callable[[PricingCall], None]


def resolve(layers: Sequence[PriceLayer] | PriceBook, ctx: PricingContext, *, before: Sequence[Hook] = (),
            after: Sequence[Hook] = ()) -> PriceLayer | None:
    """`select_price` between the before and after hooks (plain functions here; the service runs the
    modules' hooks, which may query, around `choose`)."""
    if isinstance(layers, PriceBook):
        call = PricingCall(layers.layers(), ctx, book=layers)
    else:
        call = PricingCall(layers, ctx)
    for hook in before:
        hook(call)
    choose(call)
    for hook in after:
        hook(call)
    return call.result


def choose(call: PricingCall) -> None:
    """The selection step of a call, unless a before hook decided already."""
    if call.decided:
        return
    call.result = call.book.select(call.context) if call.book is not None else select_price(call.layers, call.context)
    call.decided = True
