"""Reading an uploaded table (CSV, XLSX or XLS) into rows keyed by header, for the modules' imports.

openpyxl reads XLSX and xlrd the older binary XLS; CSV goes through the standard library (its dialect
sniffed, so semicolon-separated exports from spreadsheet programs read as well as commas). Every
problem with the file itself is a `BadRequest` naming what is wrong, never a parser's stack trace.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from api.errors import BadRequest

# An upload larger than this is refused before parsing: a spreadsheet decompresses to many times its size.
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000

FORMATS = ("csv", "xlsx", "xls")


@dataclass(frozen=True)
class Table:
    """The header (trimmed, in file order) and the non-blank rows, each `{header: text}`; `line` of
    row i is `lines[i]`, its 1-based line (or sheet row) number in the file, for error messages."""

    headers: list[str]
    rows: list[dict[str, str]]
    lines: list[int]
    filename: str | None = None


def file_format(filename: str | None, content_type: str | None = None) -> str:
    """`csv`, `xlsx` or `xls` from the file's extension (or, failing that, its content type)."""
    name = (filename or "").lower()
    for ext in FORMATS:
        if name.endswith(f".{ext}"):
            return ext
    ctype = (content_type or "").lower()
    if "spreadsheetml" in ctype:
        return "xlsx"
    if "ms-excel" in ctype:
        return "xls"
    if "csv" in ctype or ctype.startswith("text/"):
        return "csv"
    raise BadRequest("Unsupported file type. Upload a .csv, .xlsx or .xls file.")


def read_table(content: bytes, filename: str | None = None, content_type: str | None = None) -> Table:
    """The first sheet (or the CSV) of an upload as a `Table`; the first non-blank row is the header."""
    if not content:
        raise BadRequest("The file is empty.")
    if len(content) > MAX_BYTES:
        raise BadRequest(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    kind = file_format(filename, content_type)
    try:
        raw = {"csv": _csv_rows, "xlsx": _xlsx_rows, "xls": _xls_rows}[kind](content)
    except BadRequest:
        raise
    except Exception as exc:  # a corrupt file: the parser's own error type varies by format
        raise BadRequest(f"Could not read the {kind.upper()} file: {exc}".rstrip(": ")) from exc
    return _table(raw, filename)


# `openapi_extra` of an import route: the multipart body with its one `file`.
UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "A .csv, .xlsx or .xls file; the first row names the columns"}}}}}}}


async def read_upload(request: Request) -> Table:
    """The table uploaded as the multipart field `file` (400 when there is none, or it cannot be read)."""
    if "multipart/form-data" not in request.headers.get("content-type", "").lower():
        raise BadRequest("No file uploaded", [{"path": ["file"], "message": "Send the file as multipart/form-data"}])
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception:  # a malformed multipart body: the parser's own error type varies
        raise BadRequest("Invalid multipart body") from None
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise BadRequest("No file uploaded", [{"path": ["file"], "message": "Required"}])
        # One byte over the limit is enough for `read_table` to refuse the file by its size.
        content = await file.read(MAX_BYTES + 1)
        return read_table(content, file.filename, file.content_type)
    finally:
        await form.close()


def _table(raw: list[tuple[int, list[str]]], filename: str | None) -> Table:
    body = [(line, cells) for line, cells in raw if any(cell for cell in cells)]
    if not body:
        raise BadRequest("The file has no header row.")
    (_, header_cells), *data = body
    headers = [cell.strip() for cell in header_cells]
    if not any(headers):
        raise BadRequest("The file has no header row.")
    if len(data) > MAX_ROWS:
        raise BadRequest(f"The file has more than {MAX_ROWS} rows.")
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    for line, cells in data:
        if any("\x00" in cell for cell in cells):
            # No database text column stores NUL (PostgreSQL refuses it), so no import can take the row.
            raise BadRequest(f"Line {line}: text may not contain NUL characters.",
                             [{"row": line, "message": "Text may not contain NUL characters"}])
        row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(headers) if h}
        rows.append(row)
        lines.append(line)
    return Table([h for h in headers if h], rows, lines, filename)


def _csv_rows(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    return [(reader.line_num, row) for row in reader]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(content: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [(n, [_cell(v) for v in row]) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()


def _xls_rows(content: bytes) -> list[tuple[int, list[str]]]:
    import xlrd

    book = xlrd.open_workbook(file_contents=content)
    sheet = book.sheet_by_index(0)
    rows: list[tuple[int, list[str]]] = []
    for n in range(sheet.nrows):
        cells: list[str] = []
        for cell in sheet.row(n):
            if cell.ctype == xlrd.XL_CELL_DATE:
                cells.append(_cell(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)))
            else:
                cells.append(_cell(cell.value))
        rows.append((n + 1, cells))
    return rows
