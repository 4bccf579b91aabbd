from __future__ import annotations

from fastapi import APIRouter

from api.crud import crud_router
from api.features import declare
from api.modules.api_keys.resources import CREATE, DELETE, VIEW, api_keys

declare("api_keys", "API Keys", {
    VIEW: "View API keys",
    CREATE: "Create API keys",
    DELETE: "Delete API keys",
})

router = APIRouter(tags=["API Keys"])
router.include_router(crud_router(api_keys))
