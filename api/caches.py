"""In-process caches the API keeps (resolved callers, compiled rule conditions, ...), named so an
operator can see how full they are and empty them (`/api/configs/cache`). Each module declares its
caches in its manifest (`Module.caches`); nothing registers itself at import."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CacheSegment:
    """One named cache: `size()` counts its entries, `clear()` empties it, `stats()` adds figures of
    its own (hits, misses, ttl)."""

    id: str
    title: str
    size: Callable[[], int]
    clear: Callable[[], object]
    stats: Callable[[], Mapping[str, Any]] = field(default=lambda: {})

    def describe(self) -> dict[str, Any]:
        return {"segment": self.id, "label": self.title, "keyCount": self.size(), **self.stats()}

    def purge(self) -> int:
        """Empties the cache; returns how many entries it held."""
        held = self.size()
        self.clear()
        return held
