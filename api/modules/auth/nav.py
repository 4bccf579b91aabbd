"""The backend sidebar's entries. Modules add theirs with `register(...)` at import time, each with
the features a caller needs to see it; `GET /auth/admin/nav` filters and groups them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavEntry:
    href: str
    title: str
    group_id: str
    group_name: str
    features: tuple[str, ...] = ()
    order: int = 100
    # Groups are shown by the smallest `group_order` among their entries, then by name.
    group_order: int = 100


NAV: dict[str, NavEntry] = {}


def register(href: str, title: str, *, group_id: str, group_name: str, features: tuple[str, ...] = (),
             order: int = 100, group_order: int = 100) -> None:
    """Add (or replace, by href) one sidebar entry."""
    NAV[href] = NavEntry(href, title, group_id, group_name, tuple(features), order, group_order)


def entries() -> list[NavEntry]:
    return list(NAV.values())


# Entries of the modules that exist today; modules added later register their own.
register("/backend/users", "Users", group_id="auth", group_name="Auth",
         features=("auth.users.list",), order=10, group_order=800)
register("/backend/roles", "Roles", group_id="auth", group_name="Auth",
         features=("auth.roles.list",), order=20, group_order=800)
register("/backend/api-keys", "API Keys", group_id="auth", group_name="Auth",
         features=("api_keys.view",), order=30, group_order=800)
register("/backend/directory/organizations", "Organizations", group_id="directory", group_name="Directory",
         features=("directory.organizations.view",), order=10, group_order=700)
register("/backend/directory/tenants", "Tenants", group_id="directory", group_name="Directory",
         features=("directory.tenants.view",), order=20, group_order=700)
register("/backend/audit-logs", "Audit Logs", group_id="audit_logs", group_name="Audit Logs",
         features=("audit_logs.view_self",), order=10, group_order=900)
register("/backend/todos", "Todos", group_id="example", group_name="Example",
         features=("example.todos.view",), order=10, group_order=500)
