"""The duration grammar: full ISO 8601 plus the reference's short form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from definitions.duration import (
    DurationParts,
    add_duration,
    is_valid_duration,
    parse_duration,
    parse_duration_parts,
    parse_iso_datetime,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("PT5M", timedelta(minutes=5)),
    ("PT30M", timedelta(minutes=30)),
    ("PT1H", timedelta(hours=1)),
    ("PT24H", timedelta(hours=24)),
    ("P1D", timedelta(days=1)),
    ("P1DT2H", timedelta(days=1, hours=2)),
    ("P1DT12H30M5S", timedelta(days=1, hours=12, minutes=30, seconds=5)),
    ("PT1S", timedelta(seconds=1)),
    ("PT90M", timedelta(minutes=90)),
    ("P2W", timedelta(weeks=2)),
    ("P1W3D", timedelta(days=10)),
    ("PT1.5H", timedelta(hours=1, minutes=30)),
    ("PT0,5S", timedelta(milliseconds=500)),
    ("P0.5D", timedelta(hours=12)),
    ("PT0S", timedelta(0)),
    ("5m", timedelta(minutes=5)),
    ("1h", timedelta(hours=1)),
    ("3d", timedelta(days=3)),
    ("30s", timedelta(seconds=30)),
])
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", [
    "", "P", "PT", "P1DT", "T1H", "1D", "PT1H ", " PT1H", "pt1h", "P1H", "PT1D", "P-1D", "-P1D", "PT1.5H30M",
    "P1.5DT2H", "P1.5Y", "5 m", "5min", "1w", "5ms", "P1DT1H\n", "abc", "{{context.delay}}",
])
def test_invalid_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration_parts(text)
    assert not is_valid_duration(text)


def test_components_are_parsed_separately() -> None:
    assert parse_duration_parts("P1Y2M3W4DT5H6M7S") == DurationParts(years=1, months=2, weeks=3, days=4, hours=5,
                                                                      minutes=6, seconds=7)
    # M before T is months, after T minutes.
    assert parse_duration_parts("P1M") == DurationParts(months=1)
    assert parse_duration_parts("PT1M") == DurationParts(minutes=1)


@pytest.mark.parametrize("text", ["P1Y", "P1M", "P1Y2M", "P1MT1H"])
def test_calendar_durations_have_no_fixed_length(text: str) -> None:
    with pytest.raises(ValueError, match="no fixed length"):
        parse_duration(text)
    assert is_valid_duration(text)


@pytest.mark.parametrize(("start", "text", "expected"), [
    (datetime(2026, 1, 31, 9, 0, tzinfo=UTC), "P1M", datetime(2026, 2, 28, 9, 0, tzinfo=UTC)),
    (datetime(2028, 1, 31, 9, 0, tzinfo=UTC), "P1M", datetime(2028, 2, 29, 9, 0, tzinfo=UTC)),
    (datetime(2026, 11, 15, tzinfo=UTC), "P3M", datetime(2027, 2, 15, tzinfo=UTC)),
    (datetime(2024, 2, 29, tzinfo=UTC), "P1Y", datetime(2025, 2, 28, tzinfo=UTC)),
    (datetime(2026, 1, 1, tzinfo=UTC), "P1Y2M3DT4H", datetime(2027, 3, 4, 4, 0, tzinfo=UTC)),
    (datetime(2026, 1, 1, tzinfo=UTC), "PT30M", datetime(2026, 1, 1, 0, 30, tzinfo=UTC)),
    (datetime(2026, 1, 1, tzinfo=UTC), "P2W", datetime(2026, 1, 15, tzinfo=UTC)),
    (datetime(2026, 1, 1, tzinfo=UTC), "3d", datetime(2026, 1, 4, tzinfo=UTC)),
])
def test_add_duration_uses_the_calendar_for_years_and_months(start: datetime, text: str, expected: datetime) -> None:
    assert add_duration(start, text) == expected
    assert add_duration(start, parse_duration_parts(text)) == expected


@pytest.mark.parametrize(("text", "valid"), [
    ("PT1S", True), ("P1D", True), ("5m", True), ("PT0S", False), ("P0D", False), ("0m", False), ("", False),
    (None, False), (5, False), ("P1M", True), ("PT0.001S", True),
])
def test_is_valid_duration_requires_a_positive_length(text: object, valid: bool) -> None:
    assert is_valid_duration(text) is valid


@pytest.mark.parametrize(("text", "expected"), [
    ("2030-01-01T10:00:00Z", datetime(2030, 1, 1, 10, tzinfo=UTC)),
    ("2030-01-01T10:00:00.123+02:00", datetime(2030, 1, 1, 10, 0, 0, 123000, tzinfo=timezone(timedelta(hours=2)))),
    ("2030-01-01T10:00:00", datetime(2030, 1, 1, 10, tzinfo=UTC)),
    ("2030-01-01", datetime(2030, 1, 1, tzinfo=UTC)),
])
def test_parse_iso_datetime(text: str, expected: datetime) -> None:
    assert parse_iso_datetime(text) == expected


@pytest.mark.parametrize("text", ["", "tomorrow", "2030-13-01", "01/02/2030", "2030-01-01T25:00:00"])
def test_parse_iso_datetime_rejects_non_iso(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso_datetime(text)
