"""The upload reader the imports share: CSV in either separator, XLSX cells as text, clear errors."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from api.errors import BadRequest
from api.spreadsheets import file_format, read_table


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_csv_with_commas_or_semicolons_reads_the_same() -> None:
    for sep in (",", ";"):
        content = f"\ufeffCode{sep} Name \nGDN{sep}Gdansk\n\n{sep}\nRTM{sep}Rotterdam\n".encode()
        table = read_table(content, "ports.csv")
        assert table.headers == ["Code", "Name"]
        assert table.rows == [{"Code": "GDN", "Name": "Gdansk"}, {"Code": "RTM", "Name": "Rotterdam"}]
        assert table.lines == [2, 5]


def test_xlsx_cells_become_text() -> None:
    content = xlsx([["code", "qty", "price", "eta"], ["A", 3, 2.5, dt.datetime(2026, 1, 2)], ["B", None, 1.0, None]])
    table = read_table(content, "charges.XLSX")
    assert table.rows == [{"code": "A", "qty": "3", "price": "2.5", "eta": "2026-01-02"},
                          {"code": "B", "qty": "", "price": "1", "eta": ""}]


def test_short_rows_fill_missing_cells_with_blanks() -> None:
    table = read_table(b"a,b,c\n1\n", "t.csv")
    assert table.rows == [{"a": "1", "b": "", "c": ""}]


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"", "a.csv", "The file is empty."),
    (b"x", "a.pdf", "Unsupported file type"),
    (b"\n\n", "a.csv", "The file has no header row."),
    (b"not a zip", "a.xlsx", "Could not read the XLSX file"),
    (b"not an xls", "a.xls", "Could not read the XLS file"),
    (b"a,b\n1,x\x00y\n", "a.csv", "Line 2: text may not contain NUL characters."),
])
def test_bad_files_are_bad_requests(content: bytes, name: str, message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        read_table(content, name)
    assert raised.value.error.startswith(message)


def test_format_falls_back_to_the_content_type() -> None:
    assert file_format("upload", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") == "xlsx"
    assert file_format(None, "text/csv") == "csv"
    assert file_format("x.xls", None) == "xls"
