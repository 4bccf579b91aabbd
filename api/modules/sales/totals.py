"""The totals engine of sales documents, pure: lines, adjustments, tax rates and payments in, every
amount of the document out. No database, clock or I/O, so the same input always gives the same
totals and the table of cases in tests/api/modules/sales/test_totals.py pins every rule.

Rules (docs/sales.md "Totals" says the same for users):
- Money is `Decimal`; amounts are rounded half-up to the currency's decimal places at these points
  only: a line's discount, net, tax; an adjustment's amounts. Everything else is a sum of rounded
  amounts, so totals add up exactly. Unit prices keep `UNIT_PLACES` places.
- A line's net unit price is authoritative; a missing one is derived from the gross one (and the
  other way round) at the line's tax rate. Net = unit net x quantity - discount (amount plus percent
  of the base, never more than the base); tax = net x rate; gross = net + tax.
- Adjustments are magnitudes; their kind gives the direction: `discount` subtracts, `shipping` adds
  to the shipping totals, `tax` adds tax only, anything else (`surcharge`, `custom`) is a surcharge.
  With a `rate` (percent) the amounts are worked out from the base (the line's net and gross for a
  line-scope adjustment, the subtotal for an order-scope one) and the rate wins over stored amounts;
  without one, a missing net or gross amount equals the other.
- Grand totals = subtotal - discounts + shipping + surcharges (+ tax adjustments on the gross side),
  never below zero. Paid = payments not failed or canceled; outstanding = grand gross - paid +
  refunded, never below zero.
- Every computed value is written back where it came from (derived unit prices, adjustment amounts,
  effective tax rates), so running the engine on its own output changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
HUNDRED = Decimal("100")
UNIT_PLACES = 4
# Payments in these statuses moved no money.
UNPAID_STATUSES = frozenset({"failed", "canceled", "cancelled"})


# The quantum of each usual number of places, built once: `money` runs several times per line.
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(9)}


def money(value: Decimal, places: int) -> Decimal:
    """Half-up rounding to `places` decimals (2 for EUR, 0 for JPY, 3 for KWD)."""
    quantum = _QUANTA.get(places)
    if quantum is None:
        quantum = Decimal(1).scaleb(-places)
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


# --- tax rates ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaxRule:
    """A tax rate as configured (`/sales/tax-rates`). Empty criteria match anything."""

    id: str
    rate: Decimal
    country_code: str | None = None
    region_code: str | None = None
    postal_code: str | None = None
    city: str | None = None
    customer_group_id: str | None = None
    product_category_id: str | None = None
    channel_id: str | None = None
    priority: int = 0
    is_compound: bool = False
    is_default: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class TaxContext:
    """Where and to whom a line is sold, and when (the tax rates' criteria are matched against it)."""

    country_code: str | None = None
    region_code: str | None = None
    postal_code: str | None = None
    city: str | None = None
    customer_group_id: str | None = None
    product_category_id: str | None = None
    channel_id: str | None = None
    at: datetime | None = None


_CRITERIA = ("country_code", "region_code", "postal_code", "city", "customer_group_id", "product_category_id",
             "channel_id")


def _matches(rule: TaxRule, ctx: TaxContext) -> bool:
    for name in _CRITERIA:
        wanted = getattr(rule, name)
        if wanted in (None, ""):
            continue
        have = getattr(ctx, name)
        if have in (None, ""):
            return False
        if name == "postal_code" and str(wanted).endswith("*"):
            # "00-*" covers a postal area: a prefix match.
            if not str(have).upper().startswith(str(wanted)[:-1].upper()):
                return False
        elif str(wanted).strip().upper() != str(have).strip().upper():
            return False
    return True


def _valid(rule: TaxRule, at: datetime | None) -> bool:
    if at is None:
        return True
    return (rule.starts_at is None or rule.starts_at <= at) and (rule.ends_at is None or at < rule.ends_at)


def _specificity(rule: TaxRule) -> int:
    return sum(1 for name in _CRITERIA if getattr(rule, name) not in (None, ""))


def select_tax_rates(rules: Sequence[TaxRule], ctx: TaxContext) -> list[TaxRule]:
    """The rates a line pays: the best matching non-compound rate (highest priority, then the most
    specific, then the id) followed by every matching compound rate (by priority, highest first).
    When nothing matches, the default rates (`isDefault`) valid at the time stand in."""
    live = [r for r in rules if _valid(r, ctx.at)]
    matching = [r for r in live if _matches(r, ctx)]
    if not matching:
        matching = [r for r in live if r.is_default]
    order = sorted(matching, key=lambda r: (-r.priority, -_specificity(r), r.id))
    base = [r for r in order if not r.is_compound][:1]
    return base + [r for r in order if r.is_compound]


def effective_rate(rates: Sequence[TaxRule]) -> Decimal:
    """One percent equal to applying `rates` in order, compound ones on the net plus the tax before
    them (10% then 5% compound = 15.5%). Exact: products of finite decimals stay finite."""
    simple = sum((r.rate for r in rates if not r.is_compound), ZERO)
    factor = 1 + simple / HUNDRED
    for rule in rates:
        if rule.is_compound:
            factor *= 1 + rule.rate / HUNDRED
    return ((factor - 1) * HUNDRED).normalize() if factor != 1 else ZERO


# --- lines ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LineInput:
    id: str
    quantity: Decimal
    unit_price_net: Decimal | None = None
    unit_price_gross: Decimal | None = None
    discount_amount: Decimal = ZERO
    discount_percent: Decimal = ZERO
    tax_rate: Decimal = ZERO
    kind: str = "product"


@dataclass(frozen=True)
class LineTotals:
    id: str
    unit_price_net: Decimal
    unit_price_gross: Decimal
    tax_rate: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


def calculate_line(line: LineInput, places: int) -> LineTotals:
    factor = 1 + line.tax_rate / HUNDRED
    unit_net, unit_gross = line.unit_price_net, line.unit_price_gross
    if unit_net is None and unit_gross is None:
        unit_net = ZERO
    if unit_net is None:
        assert unit_gross is not None
        unit_net = money(unit_gross / factor, UNIT_PLACES)
    if unit_gross is None:
        unit_gross = money(unit_net * factor, UNIT_PLACES)
    undiscounted = unit_net * line.quantity
    base = money(undiscounted, places)
    discount = money(line.discount_amount + undiscounted * line.discount_percent / HUNDRED, places)
    discount = min(max(discount, ZERO), base)
    net = base - discount
    tax = money(net * line.tax_rate / HUNDRED, places)
    return LineTotals(line.id, unit_net, unit_gross, line.tax_rate, discount, net, tax, net + tax)


# --- adjustments ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AdjustmentInput:
    id: str
    kind: str
    scope: str = "order"
    line_id: str | None = None
    rate: Decimal | None = None
    amount_net: Decimal | None = None
    amount_gross: Decimal | None = None
    position: int = 0


@dataclass(frozen=True)
class AdjustmentTotals:
    id: str
    kind: str
    amount_net: Decimal
    amount_gross: Decimal


def calculate_adjustment(adj: AdjustmentInput, base_net: Decimal, base_gross: Decimal,
                         places: int) -> AdjustmentTotals:
    if adj.rate:
        net = money(base_net * adj.rate / HUNDRED, places)
        gross = money(base_gross * adj.rate / HUNDRED, places)
    else:
        net_in = adj.amount_net if adj.amount_net is not None else adj.amount_gross
        gross_in = adj.amount_gross if adj.amount_gross is not None else adj.amount_net
        net = money(net_in or ZERO, places)
        gross = money(gross_in or ZERO, places)
    return AdjustmentTotals(adj.id, adj.kind, net, gross)


# --- payments and the document -----------------------------------------------------------------------------

@dataclass(frozen=True)
class PaymentInput:
    amount: Decimal
    refunded_amount: Decimal = ZERO
    status: str | None = None


@dataclass(frozen=True)
class DocumentInput:
    currency_code: str
    places: int = 2
    lines: tuple[LineInput, ...] = ()
    adjustments: tuple[AdjustmentInput, ...] = ()
    payments: tuple[PaymentInput, ...] = ()
    # The shipping method's base rate and the payment method's fee, when the document has them
    # (`sales.shipping.adjustments.apply` / `sales.payment.adjustments.apply` may change them).
    shipping: tuple[Decimal, Decimal] | None = None
    payment_fee: tuple[Decimal, Decimal] | None = None

    def but(self, **changes: object) -> DocumentInput:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DocumentTotals:
    currency_code: str
    subtotal_net: Decimal
    subtotal_gross: Decimal
    discount_total: Decimal
    tax_total: Decimal
    shipping_net: Decimal
    shipping_gross: Decimal
    surcharge_total: Decimal
    grand_total_net: Decimal
    grand_total_gross: Decimal
    paid_total: Decimal
    refunded_total: Decimal
    outstanding: Decimal
    line_item_count: int
    lines: tuple[LineTotals, ...] = ()
    adjustments: tuple[AdjustmentTotals, ...] = field(default=())

    def columns(self) -> dict[str, object]:
        """The document's total columns (`sales_orders` / `sales_quotes`) by attribute name."""
        return {
            "subtotal_net_amount": self.subtotal_net, "subtotal_gross_amount": self.subtotal_gross,
            "discount_total_amount": self.discount_total, "tax_total_amount": self.tax_total,
            "shipping_net_amount": self.shipping_net, "shipping_gross_amount": self.shipping_gross,
            "surcharge_total_amount": self.surcharge_total, "grand_total_net_amount": self.grand_total_net,
            "grand_total_gross_amount": self.grand_total_gross, "paid_total_amount": self.paid_total,
            "refunded_total_amount": self.refunded_total, "outstanding_amount": self.outstanding,
            "line_item_count": self.line_item_count,
        }

    def snapshot(self) -> dict[str, object]:
        """The totals as JSON (amounts as decimal strings, never floats)."""
        out: dict[str, object] = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in self.columns().items()}
        out["currencyCode"] = self.currency_code
        return out


def calculate(doc: DocumentInput, lines: Sequence[LineTotals] | None = None) -> DocumentTotals:
    """Every total of a document. `lines` are the lines' totals when the caller worked them out
    already (the service runs the per-line hooks around `calculate_line`)."""
    places = doc.places
    line_totals = tuple(lines) if lines is not None else tuple(calculate_line(x, places) for x in doc.lines)
    by_line = {x.id: x for x in line_totals}
    subtotal_net = sum((x.net for x in line_totals), ZERO)
    subtotal_gross = sum((x.gross for x in line_totals), ZERO)
    line_discounts = sum((x.discount for x in line_totals), ZERO)
    line_tax = sum((x.tax for x in line_totals), ZERO)

    adjusted: list[AdjustmentTotals] = []
    for adj in sorted(doc.adjustments, key=lambda a: (a.position, a.id)):
        if adj.scope == "line" and adj.line_id in by_line:
            base = by_line[adj.line_id or ""]
            adjusted.append(calculate_adjustment(adj, base.net, base.gross, places))
        else:
            adjusted.append(calculate_adjustment(adj, subtotal_net, subtotal_gross, places))
    extra = []
    if doc.shipping is not None:
        extra.append(AdjustmentTotals("", "shipping", money(doc.shipping[0], places), money(doc.shipping[1], places)))
    if doc.payment_fee is not None:
        extra.append(AdjustmentTotals("", "surcharge", money(doc.payment_fee[0], places),
                                      money(doc.payment_fee[1], places)))

    def of(kinds: set[str] | None, *, gross: bool) -> Decimal:
        known = {"discount", "shipping", "tax"}
        return sum(((a.amount_gross if gross else a.amount_net) for a in (*adjusted, *extra)
                    if (a.kind in kinds if kinds is not None else a.kind not in known)), ZERO)

    disc_net, disc_gross = of({"discount"}, gross=False), of({"discount"}, gross=True)
    ship_net, ship_gross = of({"shipping"}, gross=False), of({"shipping"}, gross=True)
    sur_net, sur_gross = of(None, gross=False), of(None, gross=True)
    # A tax adjustment is tax only: its gross amount (or net, when that is all it has).
    tax_adj = of({"tax"}, gross=True)

    grand_net = max(subtotal_net - disc_net + ship_net + sur_net, ZERO)
    grand_gross = max(subtotal_gross - disc_gross + ship_gross + sur_gross + tax_adj, ZERO)
    tax_total = line_tax + (ship_gross - ship_net) + (sur_gross - sur_net) - (disc_gross - disc_net) + tax_adj
    paid = sum((money(p.amount, places) for p in doc.payments
                if (p.status or "").lower() not in UNPAID_STATUSES), ZERO)
    refunded = sum((money(p.refunded_amount, places) for p in doc.payments), ZERO)
    def q(value: Decimal) -> Decimal:
        # Sums of rounded amounts are exact already; this only gives every total the same exponent.
        return money(value, places)

    return DocumentTotals(
        currency_code=doc.currency_code, subtotal_net=q(subtotal_net), subtotal_gross=q(subtotal_gross),
        discount_total=q(line_discounts + disc_net), tax_total=q(tax_total), shipping_net=q(ship_net),
        shipping_gross=q(ship_gross), surcharge_total=q(sur_net), grand_total_net=q(grand_net),
        grand_total_gross=q(grand_gross), paid_total=q(paid), refunded_total=q(refunded),
        outstanding=q(max(grand_gross - paid + refunded, ZERO)), line_item_count=len(line_totals),
        lines=line_totals, adjustments=tuple(adjusted))
