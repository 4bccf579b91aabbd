"""The import's tables read unambiguously: no normalised header or value means two things."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from api.modules.shipments import importing


@pytest.mark.parametrize("table", [importing.FIELD_SYNONYMS, importing.STATUS_SYNONYMS,
                                   importing.CONTAINER_TYPE_SYNONYMS, importing.MODE_SYNONYMS, importing.CARRIERS])
def test_no_synonym_means_two_things(table: Mapping[str, tuple[str, ...]]) -> None:
    seen: dict[str, str] = {}
    clashes = []
    for value, synonyms in table.items():
        for text in {importing.normalise(t) for t in (value, *synonyms)}:
            if text in seen and seen[text] != value:
                clashes.append((text, seen[text], value))
            seen[text] = value
    assert clashes == []


@pytest.mark.parametrize("raw, expected", [("1 200,5", "1200.5"), ("1,200.5", "1200.5"), ("1.200,5", "1200.5"),
                                           ("12kg", "12"), ("0,25 cbm", "0.25")])
def test_numbers(raw: str, expected: str) -> None:
    assert str(importing.parse_number(raw)) == expected


@pytest.mark.parametrize("raw, day", [("2026-03-05", "2026-03-05"), ("05/03/2026", "2026-03-05"),
                                      ("05.03.2026", "2026-03-05"), ("2026-03-05T10:00:00Z", "2026-03-05"),
                                      ("46086", "2026-03-05")])
def test_dates(raw: str, day: str) -> None:
    assert importing.parse_date(raw).date().isoformat() == day


def test_container_numbers() -> None:
    assert importing.container_numbers("msku 123456-7; TGHU7654321\nMSKU1234567") == ["MSKU1234567", "TGHU7654321"]
    with pytest.raises(ValueError):
        importing.container_numbers("MSKU12345")
