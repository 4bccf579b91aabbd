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
    """`compare`'s order among layers of one kind: score, start, the higher quantity tier, the id."""
    return (-score(layer), -_start(layer), -layer.min_quantity, layer.id)

# A layer as the book keeps it: its (score, start), what is left to check once its group matched the
# sale (range, window, offer), the layer, and its twins: the layers of its run that apply to exactly
# the same sales (same offer, range and window), itself included, each with its position among the
# layers given. A resolution reads no attribute of the dataclass, scans one entry per set of twins,
# and calls `compare` only between layers of the same score and start.
_Entry = tuple[tuple[int, float], int, int | None, datetime | None, datetime | None, str | None, PriceLayer,
               list[tuple[int, PriceLayer]]]
# Currency, then the six dimensions in `_DIMS` order, one dict level each (None: the layer leaves the
# dimension open); the leaves are a group's runs, one per kind.
_Trie = dict[str | None, Any]


@dataclass
class PriceBook:
    """The layers of one product grouped by the dimensions they name (currency, variant, channel, user,
    user group, customer, customer group) and, inside, by kind, each run in precedence order. A
    resolution walks only the groups the context can match (each dimension either unnamed or the
    context's value; a branch no layer has is never visited) and, in each run, only the layers down to
    the best score and start seen so far.

    It answers exactly what `select_price` answers. `compare` is not transitive when layers of
    different kinds tie on score and start (the tier rule flips with the kinds), so `select_price`'s
    answer is then the first-come winner among those tied layers in the order they were given; the
    book keeps every applicable layer of the best score and start, with its position, and settles them
    the same way. Built once per product, it answers every line of an order without rescanning
    thousands of layers."""

    currencies: tuple[str, ...] = ()
    _trie: _Trie = field(default_factory=dict, repr=False)
    _layers: tuple[PriceLayer, ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, layers: Iterable[PriceLayer]) -> PriceBook:
        book = cls()
        book._layers = tuple(layers)
        runs: dict[tuple[str | None, ...], dict[str, list[tuple[tuple[int, float, int, str], int, PriceLayer]]]] = {}
        for position, layer in enumerate(book._layers):
            key: tuple[str | None, ...] = (layer.currency_code, layer.variant_id, layer.channel_id, layer.user_id,
                                           layer.user_group_id, layer.customer_id, layer.customer_group_id)
            runs.setdefault(key, {}).setdefault(layer.kind, []).append((_rank(layer), position, layer))
        for key, by_kind in runs.items():
            node = book._trie
            for part in key[:-1]:
                node = node.setdefault(part, {})
            entries: list[list[_Entry]] = []
            for run in by_kind.values():
                firsts: dict[tuple[Any, ...], _Entry] = {}
                for rank, position, x in sorted(run, key=lambda e: e[0]):
                    same = (x.offer_id, x.min_quantity, x.max_quantity, x.starts_at, x.ends_at)
                    if same in firsts:
                        # Never ahead of the first twin in the run: only settles ties across kinds.
                        firsts[same][7].append((position, x))
                    else:
                        firsts[same] = ((-rank[0], -rank[1]), x.min_quantity, x.max_quantity, x.starts_at,
                                        x.ends_at, x.offer_id, x, [(position, x)])
                entries.append(list(firsts.values()))
            node[key[-1]] = entries
        book.currencies = tuple(sorted(str(c) for c in book._trie))
        return book

    def layers(self) -> Sequence[PriceLayer]:
        return self._layers

    def select(self, ctx: PricingContext) -> PriceLayer | None:
        trie = self._trie
        if ctx.currency_code:
            nodes = [trie[ctx.currency_code]] if ctx.currency_code in trie else []
        else:
            nodes = list(trie.values())
        for value in (ctx.variant_id, ctx.channel_id, ctx.user_id, ctx.user_group_id, ctx.customer_id,
                      ctx.customer_group_id):
            below = []
            for node in nodes:
                if None in node:
                    below.append(node[None])
                if value is not None and value in node:
                    below.append(node[value])
            nodes = below
        qty, at, offer = ctx.quantity, ctx.at, ctx.offer_id

        def fits(entry: _Entry) -> bool:
            _, low, high, starts, ends, layer_offer, _, _ = entry
            return not (qty < low or (high is not None and qty > high) or (starts is not None and at < starts)
                        or (ends is not None and at > ends)
                        or (layer_offer is not None and offer is not None and layer_offer != offer))

        # Each run's first fitting layer is its best; keep the runs whose best has the top score and start.
        top: tuple[int, float] | None = None
        firsts: list[tuple[list[_Entry], PriceLayer]] = []
        for group in nodes:
            for run in group:
                for rank, low, high, starts, ends, layer_offer, layer, _ in run:
                    if top is not None and rank < top:
                        break  # the rest of the run scores lower or starts earlier
                    # `fits`, inlined: this is the loop every line of an order runs.
                    if qty < low or (high is not None and qty > high) or (starts is not None and at < starts) \
                            or (ends is not None and at > ends) \
                            or (layer_offer is not None and offer is not None and layer_offer != offer):
                        continue
                    if top is None or rank > top:
                        top, firsts = rank, [(run, layer)]
                    else:
                        firsts.append((run, layer))
                    break
        if not firsts:
            return None
        best = firsts[0][1]
        if all(layer.kind == best.kind for _, layer in firsts):
            # One kind: `compare` is a total order there, so the best of the runs' bests is the answer.
            for _, layer in firsts[1:]:
                if compare(layer, best) < 0:
                    best = layer
            return best
        # Kinds tied on score and start: settle as `select_price` does, in the order the layers came.
        tied: list[tuple[int, PriceLayer]] = []
        for run, _ in firsts:
            for entry in run:
                if entry[0] < top:  # type: ignore[operator]
                    break
                if entry[0] == top and fits(entry):
                    tied.extend(entry[7])
        tied.sort(key=lambda t: t[0])
        best = tied[0][1]
        for _, layer in tied[1:]:
            if compare(layer, best) < 0:
                best = layer
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
