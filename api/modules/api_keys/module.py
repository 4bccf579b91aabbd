"""API keys: keys that authenticate as a set of roles (`X-API-Key` or `Authorization: ApiKey`)."""

from __future__ import annotations

from api.manifest import Module, NavEntry
from api.modules.api_keys.resources import CREATE, DELETE, VIEW, api_keys

module = Module(
    id="api_keys",
    title="API Keys",
    features={
        VIEW: "View API keys",
        CREATE: "Create API keys",
        DELETE: "Delete API keys",
    },
    resources=(api_keys,),
    navigation=(NavEntry("/backend/api-keys", "API Keys", group_id="auth", group_name="Auth",
                         features=(VIEW,), order=30, group_order=800),),
)
