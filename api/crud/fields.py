"""Declarative serializers: which columns an item shows, in which casing, under which names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import inspect

from api.casing import camel, js_iso, jsonable


@dataclass(frozen=True, eq=False)
class Fields:
    """`Fields("id", "name", "is_active")` shows those attributes in camelCase (`isActive`); no names
    means every column. `rename` gives an attribute another key (the reference's `cf_<key>` custom
    fields), `computed` adds keys worked out from the row, `hidden` columns never show."""

    names: tuple[str, ...] = ()
    casing: Literal["camel", "snake"] = "camel"
    rename: Mapping[str, str] = field(default_factory=dict)
    computed: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    # "js": instants as JavaScript's `toISOString()` (milliseconds, `Z`), as the business-rules
    # module answers; "iso": Python's ISO-8601 with the offset.
    timestamps: Literal["iso", "js"] = "iso"

    def __init__(self, *names: str, casing: Literal["camel", "snake"] = "camel",
                 rename: Mapping[str, str] | None = None,
                 computed: Mapping[str, Callable[[Any], Any]] | None = None,
                 timestamps: Literal["iso", "js"] = "iso") -> None:
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "casing", casing)
        object.__setattr__(self, "rename", dict(rename or {}))
        object.__setattr__(self, "computed", dict(computed or {}))
        object.__setattr__(self, "timestamps", timestamps)
        # (attribute, key) pairs per model and hidden set, worked out once: items are serialized by
        # the page, and the plan is the same for every row.
        object.__setattr__(self, "_plans", {})

    def value(self, value: Any) -> Any:
        if self.timestamps == "js" and isinstance(value, datetime):
            return js_iso(value)
        return jsonable(value)

    def key(self, attr: str) -> str:
        if attr in self.rename:
            return self.rename[attr]
        return camel(attr) if self.casing == "camel" else attr

    def attributes(self, model: type[Any], hidden: frozenset[str] = frozenset()) -> list[str]:
        if self.names:
            return [n for n in self.names if n not in hidden]
        # A row's custom-field document is never an item key: items carry its values as `cf_<key>`,
        # decrypted (api/crud/custom_fields.py).
        return [c.key for c in inspect(model).column_attrs if c.key not in hidden and c.key != "custom_values"]

    def keys(self, model: type[Any], hidden: frozenset[str] = frozenset()) -> list[str]:
        """The keys items of `model` carry, in order."""
        return [self.key(a) for a in self.attributes(model, hidden)] + list(self.computed)

    def _plan(self, model: type[Any], hidden: frozenset[str]) -> list[tuple[str, str]]:
        plans: dict[tuple[type[Any], frozenset[str]], list[tuple[str, str]]] = self._plans  # type: ignore[attr-defined]
        plan = plans.get((model, hidden))
        if plan is None:
            plan = plans[(model, hidden)] = [(a, self.key(a)) for a in self.attributes(model, hidden)]
        return plan

    def __call__(self, row: Any, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
        value = self.value
        out = {key: value(getattr(row, attr)) for attr, key in self._plan(type(row), hidden)}
        for key, compute in self.computed.items():
            out[key] = self.value(compute(row))
        return out
