"""Price resolution as a pure function: applicability, precedence, amounts, hooks, and the indexed
book agreeing with the plain selection."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from api.modules.catalog.pricing import (
    PriceBook,
    PriceLayer,
    PricingCall,
    PricingContext,
    amounts,
    decimal_places,
    resolve,
    select_price,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
D = Decimal


def layer(id: str, net: str = "10", **kw: object) -> PriceLayer:
    return PriceLayer(id=id, currency_code=str(kw.pop("currency_code", "EUR")), unit_price_net=D(net), **kw)  # type: ignore[arg-type]


def ctx(**kw: object) -> PricingContext:
    return PricingContext(at=kw.pop("at", NOW), **kw)  # type: ignore[arg-type]


def test_most_specific_layer_wins() -> None:
    layers = [layer("base"), layer("channel", channel_id="c1"), layer("customer", customer_id="k1"),
              layer("variant", variant_id="v1")]
    assert select_price(layers, ctx()).id == "base"
    assert select_price(layers, ctx(channel_id="c1")).id == "channel"
    # channel 5 beats customer 4
    assert select_price(layers, ctx(channel_id="c1", customer_id="k1")).id == "channel"
    assert select_price(layers, ctx(channel_id="c1", customer_id="k1", variant_id="v1")).id == "variant"
    # a layer scoped to another channel or customer never applies
    assert select_price(layers, ctx(channel_id="c2", customer_id="k2")).id == "base"


def test_quantity_ranges_and_tiers() -> None:
    layers = [layer("one", "10"), layer("ten", "9", kind="tier", min_quantity=10, max_quantity=49),
              layer("fifty", "8", kind="tier", min_quantity=50)]
    assert select_price(layers, ctx(quantity=D(1))).id == "one"
    assert select_price(layers, ctx(quantity=D(10))).id == "ten"
    assert select_price(layers, ctx(quantity=D(49))).id == "ten"
    assert select_price(layers, ctx(quantity=D(50))).id == "fifty"


def test_validity_windows_and_the_latest_start() -> None:
    layers = [layer("always"),
              layer("summer", "7", kind="promotion", starts_at=NOW - timedelta(days=10),
                    ends_at=NOW + timedelta(days=1)),
              layer("flash", "6", kind="promotion", starts_at=NOW - timedelta(hours=1),
                    ends_at=NOW + timedelta(hours=1)),
              layer("expired", "1", kind="custom", ends_at=NOW - timedelta(seconds=1))]
    assert select_price(layers, ctx()).id == "flash"
    assert select_price(layers, ctx(at=NOW + timedelta(hours=2))).id == "summer"
    assert select_price(layers, ctx(at=NOW + timedelta(days=5))).id == "always"


def test_promotion_kinds_beat_regular_and_custom_beats_promotion() -> None:
    layers = [layer("regular"), layer("promo", kind="sale", is_promotion=True), layer("custom", kind="custom")]
    assert select_price(layers[:2], ctx()).id == "promo"
    assert select_price(layers, ctx()).id == "custom"


def test_currency_is_a_dimension_when_asked() -> None:
    layers = [layer("eur"), layer("pln", currency_code="PLN")]
    assert select_price(layers, ctx(currency_code="PLN")).id == "pln"
    assert select_price(layers, ctx(currency_code="USD")) is None


def test_amounts_from_net_or_gross_rounded_per_currency() -> None:
    net_only = PriceLayer(id="a", currency_code="EUR", unit_price_net=D("10.005"), tax_rate=D("23"))
    out = amounts(net_only, D(3))
    assert (out.unit_net, out.unit_gross) == (D("10.0050"), D("12.3062"))
    assert (out.total_net, out.total_gross, out.total_tax) == (D("30.02"), D("36.92"), D("6.90"))
    gross_only = PriceLayer(id="b", currency_code="JPY", unit_price_gross=D("1230"), tax_rate=D("23"))
    out = amounts(gross_only, D(1))
    assert (out.total_net, out.total_gross, out.total_tax) == (D("1000"), D("1230"), D("230"))
    assert decimal_places("KWD") == 3 and decimal_places("EUR") == 2 and decimal_places("EUR", 4) == 4
    assert isinstance(out.total_net, Decimal)


def test_hooks_change_layers_context_or_result() -> None:
    layers = [layer("base"), layer("vip", customer_group_id="vip")]

    def as_vip(call: PricingCall) -> None:
        call.set_context(customer_group_id="vip")

    def no_price(call: PricingCall) -> None:
        call.set_result(None)

    def cheapest(call: PricingCall) -> None:
        call.set_result(min(call.layers, key=lambda x: x.unit_price_net or 0))

    assert resolve(layers, ctx(), before=[as_vip]).id == "vip"
    assert resolve(layers, ctx(), before=[no_price]) is None
    assert resolve([layer("a", "5"), layer("b", "3", channel_id="c")], ctx(), after=[cheapest]).id == "b"
    assert resolve(PriceBook.of(layers), ctx(), before=[as_vip]).id == "vip"


def test_the_book_agrees_with_the_plain_selection() -> None:
    rnd = random.Random(7)
    pick = lambda *v: rnd.choice((None,) + v)  # noqa: E731
    layers = []
    for n in range(600):
        lo = rnd.choice((1, 1, 5, 10))
        start = NOW - timedelta(days=rnd.randint(0, 30)) if rnd.random() < 0.3 else None
        layers.append(PriceLayer(
            id=f"p{n:04d}", currency_code=rnd.choice(("EUR", "PLN")), kind=rnd.choice(("regular", "promotion")),
            variant_id=pick("v1", "v2"), offer_id=pick("o1"), channel_id=pick("c1", "c2"),
            customer_id=pick("k1", "k2"), customer_group_id=pick("g1"), user_group_id=pick("u1"),
            min_quantity=lo, max_quantity=rnd.choice((None, lo + 10)), unit_price_net=D(rnd.randint(1, 99)),
            starts_at=start, ends_at=start + timedelta(days=rnd.randint(1, 60)) if start else None))
    book = PriceBook.of(layers)
    for _ in range(400):
        c = ctx(quantity=D(rnd.choice((1, 5, 12, 30))), currency_code=rnd.choice((None, "EUR")),
                variant_id=pick("v1", "v2"), offer_id=pick("o1"), channel_id=pick("c1", "c2"),
                customer_id=pick("k1", "k2"), customer_group_id=pick("g1"), user_group_id=pick("u1"),
                at=NOW + timedelta(days=rnd.randint(-10, 10)))
        plain, indexed = select_price(layers, c), book.select(c)
        assert (plain.id if plain else None) == (indexed.id if indexed else None)


def test_the_book_agrees_with_the_plain_selection_on_every_dimension_and_kind() -> None:
    """Every dimension, all four kinds of score (custom, promotion kind, tier, others), promotions
    flagged by their kind, tiers, windows, two currencies and sales with or without a currency: the
    book's answer is the plain scan's, line by line."""
    rnd = random.Random(11)
    pick = lambda *v: rnd.choice((None, None) + v)  # noqa: E731
    layers = []
    for n in range(1500):
        kind = rnd.choice(("regular", "wholesale", "tier", "promotion", "custom", "flash"))
        lo = rnd.choice((1, 1, 2, 5, 10))
        start = NOW - timedelta(days=rnd.randint(0, 30), hours=rnd.randint(0, 3)) if rnd.random() < 0.4 else None
        layers.append(PriceLayer(
            id=f"p{n:04d}", currency_code=rnd.choice(("EUR", "PLN")), kind=kind, is_promotion=kind == "flash",
            variant_id=pick("v1", "v2"), offer_id=pick("o1", "o2"), channel_id=pick("c1", "c2"),
            user_id=pick("us1"), user_group_id=pick("u1", "u2"), customer_id=pick("k1", "k2", "k3"),
            customer_group_id=pick("g1", "g2"), min_quantity=lo, max_quantity=rnd.choice((None, lo, lo + 10)),
            unit_price_net=D(rnd.randint(1, 99)), starts_at=start,
            ends_at=start + timedelta(days=rnd.randint(0, 60)) if start and rnd.random() < 0.8 else None))
    book = PriceBook.of(layers)
    assert {x.id for x in book.layers()} <= {x.id for x in layers}
    found = 0
    for _ in range(3000):
        c = ctx(quantity=D(rnd.choice((1, 2, 5, 10, 11, 15, 30))), currency_code=rnd.choice((None, "EUR", "PLN")),
                variant_id=pick("v1", "v2", "v3"), offer_id=pick("o1", "o2"), channel_id=pick("c1", "c2"),
                user_id=pick("us1", "us2"), user_group_id=pick("u1", "u2"), customer_id=pick("k1", "k2", "k3"),
                customer_group_id=pick("g1", "g2"), at=NOW + timedelta(days=rnd.randint(-40, 40)))
        plain, indexed = select_price(layers, c), book.select(c)
        assert (plain.id if plain else None) == (indexed.id if indexed else None), c
        found += plain is not None
    assert found > 2000  # the sales mostly find a price: the comparison is not between two Nones
