"""Module manifests: each module says once, in `api/modules/<module>/module.py`, what it contributes —
features, CRUD resources, other routes, sidebar entries, outbox subscribers, workflow commands,
dashboard widgets, shipped workflows, undoable record kinds. `api/app.py` and `worker.py` iterate the
manifests; nothing registers itself by being imported. See docs/modules.md."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from api import audit
from api.features import declare

if TYPE_CHECKING:
    from fastapi import APIRouter

    from api.caches import CacheSegment
    from api.commands import WorkflowCommand
    from api.crud import Resource
    from api.metrics import MetricsSource
    from api.outbox import DomainEvent

# Order is the order of the API docs and of the sidebar's ties.
MODULES = (
    "auth",
    "directory",
    "api_keys",
    "audit_logs",
    "example",
    "business_rules",
    "dictionaries",
    "feature_toggles",
    "entities",
    "attachments",
    "configs",
    "query_index",
    "search",
    "onboarding",
    "perspectives",
    "dashboards",
    "sales",
    "booking",
    "catalog",
    "customers",
    "currencies",
    "shipments",
    "contractors",
    "fms_quotes",
    "fms_locations",
    "fms_products",
    "fms_tracking",
    "workflows",
)
# The platform: identity, tenancy, audit and keys. It imports no business module; business modules
# use it (and each other's public services), never another module's internals.
PLATFORM = frozenset({"auth", "directory", "api_keys", "audit_logs", "entities", "dictionaries", "feature_toggles",
                       "attachments", "configs", "search", "query_index", "onboarding", "perspectives", "dashboards"})


@dataclass(frozen=True)
class NavEntry:
    """One backend sidebar entry, shown to callers holding all of `features`."""

    href: str
    title: str
    group_id: str
    group_name: str
    features: tuple[str, ...] = ()
    order: int = 100
    # Groups are shown by the smallest `group_order` among their entries, then by name.
    group_order: int = 100


@dataclass(frozen=True)
class Widget:
    """A dashboard widget: its id, title and the features a caller needs to see it, and how it starts
    out on a dashboard (`GET /api/dashboards/layout` places the `default_enabled` ones on a new layout)."""

    id: str
    title: str
    features: tuple[str, ...] = ()
    description: str | None = None
    default_size: str = "md"  # sm | md | lg
    default_enabled: bool = True
    # Free-form settings the widget starts with (a page size, a period); saved per layout item.
    default_settings: Mapping[str, Any] | None = None
    icon: str | None = None
    supports_refresh: bool = False


Subscriber = tuple[str, Callable[["DomainEvent"], Awaitable[None]]]


@dataclass(frozen=True)
class Searchable:
    """A record type the search index covers (docs/search.md). Its rows are found by `model` (with `id`,
    `tenant_id`, `organization_id` and optionally `deleted_at`); its domain events `<entity>.*` keep the
    index current."""

    entity: str
    model: type
    # Text columns indexed for full-text, token and vector search.
    fields: tuple[str, ...]
    # Columns shown as a result's title and subtitle.
    title: str
    subtitle: str | None = None
    # Link of a result; `{id}` is replaced by the record's id.
    url: str = ""
    label: str = ""
    # Columns indexed as hashed tokens only (encrypted or sensitive values): never stored in plain text.
    sensitive: tuple[str, ...] = ()


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    features: Mapping[str, str] = field(default_factory=dict)
    # Collections the kit serves; their routes come after `routers`, so a module route that replaces
    # one of a collection's operations (a list with several views) is declared there.
    resources: tuple[Resource, ...] = ()
    routers: tuple[APIRouter, ...] = ()
    navigation: tuple[NavEntry, ...] = ()
    subscribers: tuple[Subscriber, ...] = ()
    commands: tuple[WorkflowCommand, ...] = ()
    widgets: tuple[Widget, ...] = ()
    # Ids of the code-defined workflows (definitions/shipped/) this module ships.
    workflows: tuple[str, ...] = ()
    # Record kinds written outside the kit that undo/redo can put back (the kit registers its own).
    undoable: Mapping[str, audit.Undoable] = field(default_factory=dict)
    # Code workflows and activities of the module's own (long-running jobs such as a reindex) that the
    # worker registers beside the definition interpreter.
    temporal_workflows: tuple[type, ...] = ()
    activities: tuple[Callable[..., Any], ...] = ()
    # Functions EXECUTE_FUNCTION activities may call by name (`activities/functions.py`).
    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    # Record types the search index covers.
    search: tuple[Searchable, ...] = ()
    # In-process caches the module keeps, shown and purged by /api/configs/cache.
    caches: tuple[CacheSegment, ...] = ()
    # Gauges read from the database when `/metrics` is scraped (docs/operations.md).
    metrics: tuple[MetricsSource, ...] = ()

    @property
    def platform(self) -> bool:
        return self.id in PLATFORM


@cache
def modules() -> tuple[Module, ...]:
    """Every module's manifest, loaded once: their features join the catalogue and their undoable
    kinds the audit registry."""
    loaded: list[Module] = []
    for name in MODULES:
        manifest: Module = importlib.import_module(f"api.modules.{name}.module").module
        declare(manifest.id, manifest.title, dict(manifest.features))
        audit.UNDOABLE.update(manifest.undoable)
        loaded.append(manifest)
    return tuple(loaded)


def routers() -> list[APIRouter]:
    from api.crud import crud_router

    out: list[APIRouter] = []
    for m in modules():
        out.extend(m.routers)
        out.extend(crud_router(res) for res in m.resources)
    return out


def navigation() -> list[NavEntry]:
    return [entry for m in modules() for entry in m.navigation]


def subscribers() -> list[Subscriber]:
    return [sub for m in modules() for sub in m.subscribers]


def commands() -> dict[str, WorkflowCommand]:
    return {c.command_id: c for m in modules() for c in m.commands}


def shipped_workflow_ids() -> frozenset[str]:
    return frozenset(w for m in modules() for w in m.workflows)


def temporal_workflows() -> list[type]:
    return [w for m in modules() for w in m.temporal_workflows]


def functions() -> dict[str, Callable[..., Any]]:
    return {name: fn for m in modules() for name, fn in m.functions.items()}


def activities() -> list[Callable[..., Any]]:
    return [a for m in modules() for a in m.activities]


def searchables() -> list[Searchable]:
    return [s for m in modules() for s in m.search]


def widgets() -> list[Widget]:
    return [w for m in modules() for w in m.widgets]


def caches() -> list[CacheSegment]:
    return [c for m in modules() for c in m.caches]


def metrics_sources() -> list[MetricsSource]:
    return [source for m in modules() for source in m.metrics]
