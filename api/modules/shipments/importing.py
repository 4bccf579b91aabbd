"""Reading shipments out of an uploaded table, deterministically: which column is which field, and what
each cell means. No I/O here: `service.import_shipments` reads the file and writes the rows.

Columns are recognised by their header, normalised (accents, case, spaces and punctuation dropped, so
"Booking No." and "booking_no" are the same) and looked up in `FIELD_SYNONYMS`; a header that names no
field is reported and ignored. Values are read by the field's kind: dates (ISO, or day first), numbers
(either decimal separator), the enumerations through their own synonym tables, carriers through a table
of common aliases. docs/shipments.md lists every table."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from api.errors import BadRequest
from api.modules.shipments.models import CONTAINER_TYPES, INCOTERMS, MODES, SHIPMENT_STATUSES
from api.modules.shipments.schemas import ShipmentCreate


def normalise(text: str) -> str:
    """Lower case, accents and everything but letters and digits dropped: 'Booking No.' -> 'bookingno'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


# Field (the API's key) -> the headers that mean it, besides the key itself. A header matches after
# `normalise`, so each synonym is written once, readably.
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    "internalReference": ("internal reference", "internal ref", "reference", "ref", "our ref", "our reference",
                          "job", "job no", "job number", "file no", "file number", "shipment no",
                          "shipment number", "shipment ref", "shipment reference"),
    "clientName": ("client", "client name", "customer", "customer name", "company", "company name"),
    "clientReference": ("client reference", "client ref", "customer reference", "customer ref", "order",
                        "order no", "order number", "po", "po no", "po number", "purchase order",
                        "purchase order number"),
    "bookingNumber": ("booking", "booking no", "booking nr", "booking ref", "booking reference", "bkg",
                      "bkg no"),
    "bolNumber": ("bol", "bl", "b/l", "bl no", "b/l no", "bl number", "bol no", "bill of lading",
                  "bill of lading number", "mbl", "mbl no", "hbl", "hbl no"),
    "containerNumber": ("container", "containers", "container no", "container nr", "container id",
                        "container numbers", "cntr", "cntr no", "ctnr", "ctnr no", "equipment number"),
    "containerType": ("type", "size", "container size", "size type", "equipment type", "cntr type"),
    "carrier": ("shipping line", "line", "carrier name", "liner", "scac"),
    "originPort": ("pol", "port of loading", "loading port", "port of departure", "departure port"),
    "originLocation": ("origin", "place of receipt", "por", "from", "pickup", "pickup location"),
    "destinationPort": ("pod", "port of discharge", "discharge port", "port of arrival", "arrival port"),
    "destinationLocation": ("destination", "place of delivery", "final destination", "to", "delivery",
                            "delivery location"),
    "etd": ("estimated time of departure", "estimated departure", "departure date", "sailing date"),
    "atd": ("actual time of departure", "actual departure"),
    "eta": ("estimated time of arrival", "estimated arrival", "arrival date"),
    "ata": ("actual time of arrival", "actual arrival"),
    "requestDate": ("requested date", "date requested", "order date"),
    "status": ("shipment status", "state"),
    "mode": ("transport mode", "mode of transport", "shipment mode"),
    "incoterms": ("incoterm", "terms", "delivery terms"),
    "vesselName": ("vessel", "ship", "ship name"),
    "vesselImo": ("imo", "imo number", "imo no", "vessel imo number"),
    "voyageNumber": ("voyage", "voyage no", "voy", "voy no"),
    "weight": ("weight kg", "gross weight", "gross weight kg", "gw", "kg"),
    "volume": ("volume cbm", "cbm", "m3", "volume m3"),
    "totalPieces": ("pieces", "packages", "pkgs", "qty", "quantity", "no of packages", "number of packages"),
    "totalActualWeight": ("actual weight", "total weight"),
    "totalChargeableWeight": ("chargeable weight",),
    "totalVolume": ("total cbm",),
    "amount": ("value", "price", "freight", "freight amount"),
}

DATE_FIELDS = frozenset({"etd", "atd", "eta", "ata", "requestDate"})
DECIMAL_FIELDS = frozenset({"weight", "volume", "totalActualWeight", "totalChargeableWeight", "totalVolume",
                            "amount"})
INTEGER_FIELDS = frozenset({"totalPieces"})

# Cell value (normalised) -> enumeration value. Each enumeration's own values match too ("PRE_ARRIVAL",
# "pre-arrival" and "Pre arrival" all read as PRE_ARRIVAL).
STATUS_SYNONYMS: dict[str, tuple[str, ...]] = {
    "ORDERED": ("new", "pending", "created", "requested", "order placed"),
    "BOOKED": ("booking", "confirmed", "booking confirmed"),
    "LOADING": ("loaded", "stuffing", "gate in", "gated in"),
    "DEPARTED": ("sailed", "on board", "in transit", "shipped", "at sea", "on water"),
    "TRANSSHIPMENT": ("transhipment", "transship", "tranship", "ts"),
    "PRE_ARRIVAL": ("arriving", "arriving soon", "approaching"),
    "IN_PORT": ("arrived", "at port", "discharged", "at destination"),
    "DELIVERED": ("completed", "complete", "done", "closed", "gate out"),
}
CONTAINER_TYPE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "20GP": ("20", "20ft", "20'", "20dv", "20dc", "20st", "20std", "20 standard", "22g1"),
    "40GP": ("40", "40ft", "40'", "40dv", "40dc", "40st", "40std", "40 standard", "42g1"),
    "40HC": ("40hq", "40ft hc", "40ft_hc", "40' hc", "40ft hq", "40 high cube", "45g1"),
    "45HC": ("45", "45ft", "45hq", "45ft hc", "45 high cube", "l5g1"),
    "20RF": ("20re", "20rh", "20 reefer", "20ft reefer", "22r1"),
    "40RF": ("40re", "40rh", "40 reefer", "40ft reefer", "40hr", "45r1"),
    "20OT": ("20 open top", "22u1"),
    "40OT": ("40 open top", "42u1"),
}
MODE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "SEA": ("ocean", "fcl", "lcl", "sea freight", "ocean freight", "maritime"),
    "AIR": ("air freight", "airfreight"),
    "RAIL": ("train", "rail freight", "railway"),
    "MIXED": ("multimodal", "intermodal", "sea air", "combined"),
}
# Carrier aliases and SCAC codes -> the name shipments keep; other carriers are kept as written.
CARRIERS: dict[str, tuple[str, ...]] = {
    "Maersk": ("msk", "maersk line", "maeu"),
    "MSC": ("mediterranean shipping company", "mscu", "medu"),
    "CMA CGM": ("cma", "cmdu", "cma-cgm"),
    "Hapag-Lloyd": ("hapag", "hapag lloyd", "hlcu", "hlc"),
    "OOCL": ("orient overseas container line", "oolu"),
    "COSCO": ("cosco shipping", "cosu", "cosco shipping lines"),
    "Evergreen": ("evergreen line", "egl", "eglv"),
    "Yang Ming": ("ym", "ymlu", "yang ming line"),
    "ONE": ("ocean network express", "oney"),
    "ZIM": ("zimu", "zim integrated shipping"),
}


def _index(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Normalised text -> the value it means (the value itself and each of its synonyms)."""
    out: dict[str, str] = {}
    for value, synonyms in table.items():
        for text in (value, *synonyms):
            out.setdefault(normalise(text), value)
    return out


HEADER_FIELDS = _index(FIELD_SYNONYMS)
STATUS_VALUES = _index(STATUS_SYNONYMS)
CONTAINER_TYPE_VALUES = _index(CONTAINER_TYPE_SYNONYMS)
MODE_VALUES = _index(MODE_SYNONYMS)
INCOTERM_VALUES = {normalise(v): v for v in INCOTERMS}
CARRIER_VALUES = _index(CARRIERS)
ENUMS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "status": (STATUS_VALUES, SHIPMENT_STATUSES),
    "containerType": (CONTAINER_TYPE_VALUES, CONTAINER_TYPES),
    "mode": (MODE_VALUES, MODES),
    "incoterms": (INCOTERM_VALUES, INCOTERMS),
}

MAX_REPORTED_ERRORS = 200
CONTAINER_NUMBER = re.compile(r"^[A-Z]{4}[0-9]{7}$")
# Spreadsheet day numbers (days since 1899-12-30): what a date cell holds when its format was lost.
EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
DAY_FIRST = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M", "%d-%m-%Y %H:%M",
             "%d/%m/%y", "%d.%m.%y")


@dataclass(frozen=True)
class Column:
    header: str
    field: str | None


def map_columns(headers: list[str]) -> list[Column]:
    """Each header with the field it fills (None: ignored). A file where no header names a field, or two
    headers name the same one, cannot be imported as it is: that is the caller's to fix."""
    columns = [Column(h, HEADER_FIELDS.get(normalise(h))) for h in headers if h]
    if not any(c.field for c in columns):
        raise BadRequest("No column of the file matches a shipment field", [
            {"path": ["file"], "message": f"Unrecognised columns: {', '.join(h for h in headers if h)}. "
                                          "See the import's column names in the shipments documentation."}])
    seen: dict[str, str] = {}
    clashes: list[dict[str, Any]] = []
    for c in columns:
        if c.field is None:
            continue
        if c.field in seen:
            clashes.append({"path": ["file", c.header],
                            "message": f"Columns '{seen[c.field]}' and '{c.header}' both mean {c.field}"})
        seen.setdefault(c.field, c.header)
    if clashes:
        raise BadRequest("Two columns of the file mean the same shipment field", clashes)
    return columns


def parse_date(raw: str) -> datetime:
    text = raw.strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return EXCEL_EPOCH + timedelta(days=float(text))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in DAY_FIRST:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"'{raw}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_number(raw: str) -> Decimal:
    """'1 234,5', '1,234.5' and '1234.5' are all 1234.5: the last separator is the decimal one."""
    text = re.sub(r"[\s\u00a0']", "", raw)
    text = re.sub(r"(?i)(kg|kgs|cbm|m3)$", "", text)
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{raw}' is not a number") from None
    if not value.is_finite():
        raise ValueError(f"'{raw}' is not a number")
    return value


def container_numbers(raw: str) -> list[str]:
    """Several containers may share a cell, separated by commas, semicolons or line breaks; spaces and
    dashes inside a number are dropped ('MSKU 123456-7' is MSKU1234567)."""
    out = []
    for part in re.split(r"[,;\n]+", raw):
        number = re.sub(r"[\s\-]", "", part).upper()
        if not number:
            continue
        if not CONTAINER_NUMBER.match(number):
            raise ValueError(f"'{part.strip()}' is not a container number (4 letters and 7 digits, ISO 6346)")
        if number not in out:
            out.append(number)
    return out


@dataclass
class Row:
    """One row read: the shipment's fields (validated), the client's name, its containers."""

    line: int
    shipment: ShipmentCreate
    client_name: str | None = None
    containers: list[str] = field(default_factory=list)


def _value(name: str, raw: str) -> Any:
    if name in DATE_FIELDS:
        return parse_date(raw)
    if name in DECIMAL_FIELDS:
        return parse_number(raw)
    if name in INTEGER_FIELDS:
        number = parse_number(raw)
        if number != number.to_integral_value():
            raise ValueError(f"'{raw}' is not a whole number")
        return int(number)
    if name in ENUMS:
        values, allowed = ENUMS[name]
        found = values.get(normalise(raw))
        if found is None and name == "incoterms":  # "FOB Shanghai": the term, then its place
            found = values.get(normalise(raw.split()[0]))
        if found is None:
            raise ValueError(f"'{raw}' is not a known {name} (one of {', '.join(allowed)})")
        return found
    if name == "carrier":
        return CARRIER_VALUES.get(normalise(raw), raw.strip())
    return raw.strip()


def read_row(cells: Mapping[str, str], line: int, columns: list[Column]) -> tuple[Row | None, list[dict[str, Any]]]:
    """The row as a shipment, or the problems of each of its cells."""
    errors: list[dict[str, Any]] = []
    values: dict[str, Any] = {}
    header_of: dict[str, str] = {}
    client_name: str | None = None
    numbers: list[str] = []

    def problem(column: str, name: str, message: str) -> None:
        errors.append({"line": line, "column": column, "field": name, "message": message})

    for c in columns:
        raw = (cells.get(c.header) or "").strip()
        if c.field is None or not raw:
            continue
        header_of[c.field] = c.header
        try:
            if c.field == "clientName":
                client_name = raw
            elif c.field == "containerNumber":
                numbers = container_numbers(raw)
                values["containerNumber"] = numbers[0] if numbers else None
            else:
                values[c.field] = _value(c.field, raw)
        except ValueError as exc:
            problem(c.header, c.field, str(exc))
    if not errors and not values and client_name is None:
        errors.append({"line": line, "column": None, "field": None,
                       "message": "The row has no value in any imported column"})
    if errors:
        return None, errors
    try:
        shipment = ShipmentCreate.model_validate(values)
    except ValidationError as exc:
        for issue in exc.errors():
            name = str(issue["loc"][0]) if issue["loc"] else ""
            problem(header_of.get(name, name), name, issue["msg"])
        return None, errors
    return Row(line, shipment, client_name, numbers), []
