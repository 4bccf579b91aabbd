"""The totals engine as a table: every rule of api/modules/sales/totals.py, rounding edge cases,
compound tax, tax-rate selection, and stability (running it on its own output changes nothing)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from api.modules.sales import totals as t
from api.modules.sales.documents import format_number

L = t.LineInput


def doc(*lines: t.LineInput, adjustments: tuple[t.AdjustmentInput, ...] = (), places: int = 2,
        payments: tuple[t.PaymentInput, ...] = (), **kw: object) -> t.DocumentTotals:
    return t.calculate(t.DocumentInput("EUR", places, tuple(lines), adjustments, payments, **kw))  # type: ignore[arg-type]


LINES = [
    # (line, places, unit gross, discount, net, tax, gross)
    (L("a", D(3), D("19.99"), tax_rate=D(23)), 2, D("24.5877"), D("0.00"), D("59.97"), D("13.79"), D("73.76")),
    (L("b", D(1), None, D("123"), tax_rate=D(23)), 2, D("123"), D("0.00"), D("100.00"), D("23.00"), D("123.00")),
    (L("c", D(2), D("10"), discount_percent=D(15)), 2, D("10"), D("3.00"), D("17.00"), D("0.00"), D("17.00")),
    (L("d", D(1), D("10"), discount_amount=D(50)), 2, D("10"), D("10.00"), D("0.00"), D("0.00"), D("0.00")),
    (L("e", D(1), D("0.005"), tax_rate=D(0)), 2, D("0.005"), D("0.00"), D("0.01"), D("0.00"), D("0.01")),
    (L("f", D(3), D("333"), tax_rate=D(8)), 0, D("359.64"), D("0"), D("999"), D("80"), D("1079")),
    (L("g", D("1.5"), D("1.111"), tax_rate=D(5)), 3, D("1.1666"), D("0.000"), D("1.667"), D("0.083"), D("1.750")),
    (L("h", D(1), tax_rate=D(23)), 2, D("0.0000"), D("0.00"), D("0.00"), D("0.00"), D("0.00")),
    (L("i", D(4), D("2.50"), discount_amount=D(1), discount_percent=D(10), tax_rate=D(10)), 2, D("2.75"),
     D("2.00"), D("8.00"), D("0.80"), D("8.80")),
]


@pytest.mark.parametrize(("line", "places", "unit_gross", "discount", "net", "tax", "gross"), LINES,
                         ids=[x[0].id for x in LINES])
def test_a_line(line: t.LineInput, places: int, unit_gross: D, discount: D, net: D, tax: D, gross: D) -> None:
    out = t.calculate_line(line, places)
    assert (out.unit_price_gross, out.discount, out.net, out.tax, out.gross) == (unit_gross, discount, net, tax, gross)


ADJ = t.AdjustmentInput
DOCS = [
    # (adjustments, extra, subtotal gross, discount total, shipping gross, surcharge, tax, grand net, grand gross)
    ((), {}, D("123.00"), D("0.00"), D("0.00"), D("0.00"), D("23.00"), D("100.00"), D("123.00")),
    ((ADJ("x", "discount", rate=D(10)),), {}, D("123.00"), D("10.00"), D("0.00"), D("0.00"), D("20.70"),
     D("90.00"), D("110.70")),
    ((ADJ("x", "shipping", amount_net=D(10), amount_gross=D("12.3")),), {}, D("123.00"), D("0.00"), D("12.30"),
     D("0.00"), D("25.30"), D("110.00"), D("135.30")),
    ((ADJ("x", "surcharge", amount_net=D(5)),), {}, D("123.00"), D("0.00"), D("0.00"), D("5.00"), D("23.00"),
     D("105.00"), D("128.00")),
    ((ADJ("x", "tax", amount_gross=D(2)),), {}, D("123.00"), D("0.00"), D("0.00"), D("0.00"), D("25.00"),
     D("100.00"), D("125.00")),
    ((ADJ("x", "discount", scope="line", line_id="b", rate=D(50)),), {}, D("123.00"), D("50.00"), D("0.00"),
     D("0.00"), D("11.50"), D("50.00"), D("61.50")),
    ((ADJ("x", "discount", amount_net=D(500)),), {}, D("123.00"), D("500.00"), D("0.00"), D("0.00"),
     D("23.00"), D("0.00"), D("0.00")),
    ((), {"shipping": (D(10), D("12.3"))}, D("123.00"), D("0.00"), D("12.30"), D("0.00"), D("25.30"),
     D("110.00"), D("135.30")),
    ((), {"payment_fee": (D(1), D("1.23"))}, D("123.00"), D("0.00"), D("0.00"), D("1.00"), D("23.23"),
     D("101.00"), D("124.23")),
]


@pytest.mark.parametrize(("adjustments", "extra", "sub_gross", "discount", "ship_gross", "surcharge", "tax",
                          "grand_net", "grand_gross"), DOCS)
def test_a_document(adjustments: tuple[t.AdjustmentInput, ...], extra: dict[str, object], sub_gross: D,
                    discount: D, ship_gross: D, surcharge: D, tax: D, grand_net: D, grand_gross: D) -> None:
    out = doc(L("b", D(1), D(100), tax_rate=D(23)), adjustments=adjustments, **extra)
    assert (out.subtotal_gross, out.discount_total, out.shipping_gross, out.surcharge_total, out.tax_total,
            out.grand_total_net, out.grand_total_gross) == (sub_gross, discount, ship_gross, surcharge, tax,
                                                            grand_net, grand_gross)
    assert out.line_item_count == 1


def test_payments_give_paid_refunded_and_outstanding() -> None:
    out = doc(L("a", D(1), D(100)), payments=(t.PaymentInput(D(30)), t.PaymentInput(D(50), D(10)),
                                              t.PaymentInput(D(99), status="failed")))
    assert (out.paid_total, out.refunded_total, out.outstanding) == (D("80.00"), D("10.00"), D("30.00"))
    over = doc(L("a", D(1), D(10)), payments=(t.PaymentInput(D(30)),))
    assert over.outstanding == D("0.00")


def test_running_on_its_own_output_changes_nothing() -> None:
    lines = (L("a", D(3), None, D("24.59"), tax_rate=D(23)), L("b", D(7), D("0.333"), discount_percent=D(33)))
    adjustments = (ADJ("x", "discount", rate=D("7.5")), ADJ("y", "shipping", amount_gross=D("9.99")))
    first = t.calculate(t.DocumentInput("EUR", 2, lines, adjustments))
    again_lines = tuple(L(x.id, y.quantity, r.unit_price_net, r.unit_price_gross, y.discount_amount,
                          y.discount_percent, r.tax_rate) for x, y, r in zip(lines, lines, first.lines, strict=True))
    again_adj = tuple(ADJ(a.id, a.kind, rate=a.rate, amount_net=r.amount_net, amount_gross=r.amount_gross)
                      for a, r in zip(adjustments, first.adjustments, strict=True))
    second = t.calculate(t.DocumentInput("EUR", 2, again_lines, again_adj))
    assert second.columns() == first.columns()


R = t.TaxRule
RULES = [R("std", D(20), is_default=True), R("pl", D(23), country_code="PL", priority=1),
         R("pl-waw", D(8), country_code="PL", city="Warsaw", priority=1),
         R("pl-local", D(1), country_code="PL", is_compound=True),
         R("food", D(5), product_category_id="food", priority=5),
         R("old", D(50), country_code="DE", ends_at=datetime(2020, 1, 1, tzinfo=UTC)),
         R("post", D(7), postal_code="00-*", priority=2),
         R("web", D(3), channel_id="web", customer_group_id="b2b", priority=3)]
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SELECT = [
    (t.TaxContext(country_code="PL", at=NOW), ["pl", "pl-local"], D("24.23")),
    (t.TaxContext(country_code="pl", city="Warsaw", at=NOW), ["pl-waw", "pl-local"], D("9.08")),
    (t.TaxContext(country_code="PL", product_category_id="food", at=NOW), ["food", "pl-local"], D("6.05")),
    (t.TaxContext(country_code="DE", at=NOW), ["std"], D(20)),
    (t.TaxContext(country_code="DE", at=datetime(2019, 1, 1, tzinfo=UTC)), ["old"], D(50)),
    (t.TaxContext(postal_code="00-950", at=NOW), ["post"], D(7)),
    (t.TaxContext(channel_id="web", at=NOW), ["std"], D(20)),
    (t.TaxContext(channel_id="web", customer_group_id="b2b", at=NOW), ["web"], D(3)),
]


@pytest.mark.parametrize(("ctx", "ids", "effective"), SELECT)
def test_tax_rate_selection(ctx: t.TaxContext, ids: list[str], effective: D) -> None:
    chosen = t.select_tax_rates(RULES, ctx)
    assert [r.id for r in chosen] == ids
    assert t.effective_rate(chosen) == effective


def test_compound_tax_is_exact() -> None:
    rates = [R("a", D(10)), R("b", D(5), is_compound=True), R("c", D(2), is_compound=True)]
    assert t.effective_rate(rates) == D("17.81")
    assert t.calculate_line(L("x", D(1), D(100), tax_rate=t.effective_rate(rates)), 2).tax == D("17.81")


@pytest.mark.parametrize(("template", "seq", "expected"), [
    ("ORDER-{yyyy}{mm}{dd}-{seq:5}", 42, "ORDER-20250307-00042"), ("Q{yy}/{seq}", 7, "Q25/7"),
    ("{seq:2}-{seq}", 123, "123-123"), ("X-{foo}-{seq:3}", 1, "X-{foo}-001")])
def test_number_templates(template: str, seq: int, expected: str) -> None:
    assert format_number(template, seq, datetime(2025, 3, 7, tzinfo=UTC)) == expected
