"""List export: `format=csv|json|xml|markdown` answers a file download instead of a page; with
`exportScope=full` (or `export_scope`, `full=true`, `all`) every page, read in batches of 1000 so a
large collection never sits in memory at once. Items are the list's own items, so an export shows
exactly what the list shows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from fastapi.responses import StreamingResponse
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crud.query import ListQuery
from api.db import sessionmaker

BATCH = 1000
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "xml": "application/xml",
         "markdown": "text/markdown; charset=utf-8"}
EXTENSION = {"csv": "csv", "json": "json", "xml": "xml", "markdown": "md"}
Items = Callable[[AsyncSession, list[Any]], Awaitable[list[dict[str, Any]]]]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _markdown_cell(value: Any) -> str:
    return _cell(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _xml_name(key: str) -> str:
    name = "".join(c if c.isalnum() or c in "_-." else "_" for c in key)
    return name if name and (name[0].isalpha() or name[0] == "_") else f"_{name}"


class _Writer:
    """Renders items of one format as chunks; columns are the first batch's keys (later keys are
    appended in the JSON and XML formats, which need no header)."""

    def __init__(self, fmt: str, root: str, columns: list[str]) -> None:
        self.fmt = fmt
        self.root = root
        # Until the first batch: the declared keys, so an empty export still has its header.
        self.declared = columns
        self.columns: list[str] | None = None
        self.count = 0

    def start(self) -> str:
        if self.fmt == "json":
            return "["
        if self.fmt == "xml":
            return f'<?xml version="1.0" encoding="UTF-8"?>\n<{self.root}>\n'
        return ""

    def _header(self, items: list[dict[str, Any]]) -> str:
        self.columns = list(dict.fromkeys(k for item in items for k in item)) or self.declared
        if self.fmt == "csv":
            out = io.StringIO()
            csv.writer(out).writerow(self.columns)
            return out.getvalue()
        if self.fmt == "markdown":
            return ("| " + " | ".join(_markdown_cell(c) for c in self.columns) + " |\n"
                    + "|" + "---|" * len(self.columns) + "\n")
        return ""

    def batch(self, items: list[dict[str, Any]]) -> str:
        chunks: list[str] = []
        if self.columns is None and self.fmt in ("csv", "markdown"):
            chunks.append(self._header(items))
        columns = self.columns or []
        if self.fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out)
            for item in items:
                writer.writerow([_cell(item.get(c)) for c in columns])
            chunks.append(out.getvalue())
        elif self.fmt == "markdown":
            for item in items:
                chunks.append("| " + " | ".join(_markdown_cell(item.get(c)) for c in columns) + " |\n")
        elif self.fmt == "json":
            for item in items:
                chunks.append(("," if self.count else "") + json.dumps(item, ensure_ascii=False, default=str))
                self.count += 1
        else:
            for item in items:
                fields = "".join(f"<{_xml_name(k)}>{escape(_cell(v))}</{_xml_name(k)}>" for k, v in item.items())
                chunks.append(f"  <item>{fields}</item>\n")
        return "".join(chunks)

    def end(self) -> str:
        if self.fmt == "json":
            return "]"
        if self.fmt == "xml":
            return f"</{self.root}>\n"
        return ""


def export_response(stmt: Select[Any], query: ListQuery, items: Items, *, name: str,
                    columns: list[str]) -> StreamingResponse:
    """The export of `stmt` (already scoped and filtered) as a streamed download named `name`. The
    request's session is closed before a streamed body is sent, so the stream reads with its own."""
    assert query.export is not None
    fmt = query.export
    writer = _Writer(fmt, _xml_name(name), columns)

    async def chunks() -> AsyncIterator[str]:
        async with sessionmaker()() as session:
            async for chunk in _chunks(session):
                yield chunk

    async def _chunks(session: AsyncSession) -> AsyncIterator[str]:
        yield writer.start()
        if query.export_all:
            offset = 0
            while True:
                rows = (await session.execute(stmt.order_by(*query.order).offset(offset).limit(BATCH))).all()
                if not rows:
                    break
                yield writer.batch(await items(session, [r for (r,) in rows]))
                if len(rows) < BATCH:
                    break
                offset += BATCH
        else:
            rows = (await session.execute(
                stmt.order_by(*query.order).offset((query.page - 1) * query.size).limit(query.size)
            )).all()
            yield writer.batch(await items(session, [r for (r,) in rows]))
        yield writer.end()

    filename = f"{name}.{EXTENSION[fmt]}"
    return StreamingResponse(chunks(), media_type=MEDIA[fmt],
                             headers={"content-disposition": f"attachment; filename={quoteattr(filename)}"})
