"""Reads of sensitive records, kept in `access_logs` so a tenant can answer "who saw what".

Call `record_access` from a route after it has decided to return the record (a refused read is
not an access). The row joins the request's transaction: a request that fails logs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import AuthContext
from api.modules.audit_logs.models import AccessLog


def record_access(session: AsyncSession, auth: AuthContext, resource_kind: str, resource_id: str,
                  access_type: str, fields: Iterable[str] | None = None, *,
                  organization_id: str | None = None,
                  context: Mapping[str, Any] | None = None) -> AccessLog:
    """One access-log row: `auth` read `resource_kind`/`resource_id` (`access_type` such as
    `read`, `read:item`, `read:list`, `download`, `export`), seeing `fields`.

    `organization_id` is the record's organization (defaults to the caller's working one);
    `context` is stored as given, with the API key that made the call when there is one."""
    ctx: dict[str, Any] = dict(context or {})
    if auth.is_api_key:
        # The actor of an API key call is the key's creator; keep which key it was.
        ctx.update({"isApiKey": True, "keyId": auth.key_id})
    entry = AccessLog(
        tenant_id=auth.tenant_id,
        organization_id=organization_id or auth.write_org_id,
        actor_user_id=auth.user_id,
        resource_kind=resource_kind,
        resource_id=resource_id,
        access_type=access_type,
        fields_json=list(dict.fromkeys(fields)) if fields is not None else None,
        context_json=ctx or None,
    )
    session.add(entry)
    return entry


def list_access_type(count: int) -> str:
    """The access type of a list read, as the reference names it."""
    return "read:list" if count > 1 else "read"
