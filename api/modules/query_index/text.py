"""What an indexed record looks like: normalized text, keyed token hashes and the document built from a
`Searchable` declaration. Pure functions; the store writes their results."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from api.casing import jsonable
from api.manifest import Searchable
from api.settings import get_settings

MIN_TOKEN = 3
_SPLIT = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Lower case without accents: the same on both sides of every comparison (index and query)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    return [w for w in _SPLIT.split(normalize(text)) if len(w) >= MIN_TOKEN]


def prefixes(text: str) -> set[str]:
    """Every prefix (of at least MIN_TOKEN characters) of every word: a query word matches a record
    word it begins."""
    return {w[:i] for w in words(text) for i in range(MIN_TOKEN, len(w) + 1)}


@cache
def _key(secret: str) -> bytes:
    # Keyed, so the hashes cannot be reversed with a dictionary by someone reading the table. The key
    # follows the signing secret: changing it means reindexing (docs/search.md).
    return hashlib.sha256(b"stepwise-search-tokens:" + secret.encode()).digest()


def token_hash(token: str) -> str:
    return hmac.new(_key(get_settings().secret()), token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Document:
    entity_type: str
    record_id: str
    tenant_id: str | None
    organization_id: str | None
    title: str
    subtitle: str | None
    url: str | None
    text: str  # normalized plain text of the non-sensitive fields
    doc: dict[str, Any]
    checksum: str
    tokens: dict[str, set[str]]  # field -> token prefixes (hashed when stored)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def build(searchable: Searchable, row: Any) -> Document:
    public = {f: jsonable(getattr(row, f, None)) for f in searchable.fields}
    sensitive = {f: _text(getattr(row, f, None)) for f in searchable.sensitive}
    title = _text(getattr(row, searchable.title, None))[:500]
    subtitle = _text(getattr(row, searchable.subtitle, None))[:500] if searchable.subtitle else None
    text = normalize(" ".join(t for t in (_text(v) for v in public.values()) if t))
    tokens = {f: prefixes(_text(v)) for f, v in public.items()}
    tokens.update({f: prefixes(v) for f, v in sensitive.items()})
    checksum = hashlib.sha256(json.dumps([public, sensitive], sort_keys=True, default=str).encode()).hexdigest()
    return Document(
        entity_type=searchable.entity, record_id=str(row.id), tenant_id=getattr(row, "tenant_id", None),
        organization_id=getattr(row, "organization_id", None), title=title, subtitle=subtitle or None,
        url=searchable.url.replace("{id}", str(row.id)) if searchable.url else None, text=text,
        doc=public, checksum=checksum, tokens={f: t for f, t in tokens.items() if t},
    )
