"""API keys as a kit resource: the kit scopes, lists, deletes and audits them; the secret's hash
never leaves the table (hidden from snapshots, events and list items)."""

from __future__ import annotations

from typing import Any

from api.crud import Features, Resource
from api.crud.casing import jsonable
from api.crud.schemas import Payload
from api.modules.api_keys.models import ApiKey
from api.modules.api_keys.schemas import ApiKeyCreate

VIEW = "api_keys.view"
CREATE = "api_keys.create"
DELETE = "api_keys.delete"


def key_item(key: ApiKey) -> dict[str, Any]:
    """A key as lists, events and audit entries show it; role and organization names are added by
    `decorate` for lists."""
    return {
        "id": key.id,
        "name": key.name,
        "description": key.description,
        "keyPrefix": key.key_prefix,
        "tenantId": key.tenant_id,
        "organizationId": key.organization_id,
        "createdAt": jsonable(key.created_at),
        "lastUsedAt": jsonable(key.last_used_at),
        "expiresAt": jsonable(key.expires_at),
        "roles": [{"id": str(r), "name": None} for r in key.roles_json or []],
    }


class _NoUpdate(Payload):
    pass


api_keys = Resource(
    path="/api_keys/keys",
    model=ApiKey,
    entity="api_keys.key",
    create_schema=ApiKeyCreate,
    update_schema=_NoUpdate,
    # Keys are never edited (revoke and create another), so the update feature guards nothing.
    features=Features(VIEW, CREATE, CREATE, DELETE),
    tag="API Keys",
    label="API key",
    search=("name", "key_prefix"),
    sort=("id", "name", "created_at", "updated_at", "last_used_at", "expires_at"),
    hidden=frozenset({"key_hash"}),
    serialize=key_item,
    max_page_size=200,
)
