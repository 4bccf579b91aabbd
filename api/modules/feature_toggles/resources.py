"""Global toggles (platform-wide, super administrators only) and the tenants' overrides, as kit
collections; overrides are written by `PUT /feature_toggles/overrides` through the kit's functions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from api.auth import AuthContext
from api.crud import Features, Fields, Filter, Hooks, Resource, Sort, Write
from api.errors import BadRequest, Conflict, Forbidden
from api.modules.feature_toggles.models import FeatureToggle, FeatureToggleOverride
from api.modules.feature_toggles.schemas import ToggleCreate, ToggleUpdate
from api.modules.feature_toggles.service import find, fits

MANAGE = "feature_toggles.global.manage"
TAG = "Feature Toggles"
SUPERADMIN_ONLY = {"requiredRoles": ["superadmin"]}


def require_super_admin(ctx: AuthContext, _action: str = "") -> None:
    # Toggles are the platform operator's: a tenant administrator holding `*` still may not.
    if not ctx.is_super_admin:
        raise Forbidden("Forbidden", extra=SUPERADMIN_ONLY)


def _super_admins_see_all(stmt: Select[Any], ctx: AuthContext) -> Select[Any]:
    require_super_admin(ctx)
    return stmt


async def _check_value(write: Write) -> None:
    kind = write.value("type")
    if "default_value" in write.values or "type" in write.values:
        value = write.value("default_value")
        if value is None and kind == "boolean":
            write.values["default_value"] = value = False
        if value is not None and not fits(kind, value):
            raise BadRequest("Invalid input", [{"path": ["defaultValue"], "code": "invalid_type",
                                                "message": f"defaultValue must be a {kind} value"}])
    identifier = write.values.get("identifier")
    if identifier is not None:
        existing = await find(write.session, identifier)
        if existing is not None and existing.id != write.row.id:
            raise Conflict("A feature toggle with this identifier already exists")
    for name in ("identifier", "name", "type"):
        if name in write.values and write.values[name] is None:
            del write.values[name]


toggles = Resource(
    path="/feature_toggles/global",
    model=FeatureToggle,
    entity="feature_toggles.feature_toggle",
    create_schema=ToggleCreate,
    update_schema=ToggleUpdate,
    features=Features.view_manage(MANAGE, MANAGE),
    tag=TAG,
    label="Feature toggle",
    descriptions={
        "list": "Returns the global feature toggles (`search`, `type`, `category`, `name`, `identifier`). "
                "Super administrators only.",
        "create": "Creates a global toggle: `identifier` (lower-case letters, digits, underscores), `name`, "
                  "`type` (boolean, string, number or json) and a `defaultValue` of that type. "
                  "Super administrators only.",
        "update": "Updates a global toggle by the id in the body. Super administrators only.",
        "delete": "Deletes a global toggle; its overrides stop applying. Super administrators only.",
        "detail": "Returns the toggle with its type and default value. Super administrators only.",
    },
    search=(FeatureToggle.identifier, FeatureToggle.name, FeatureToggle.description, FeatureToggle.category),
    sort=Sort((FeatureToggle.id, FeatureToggle.category, FeatureToggle.identifier, FeatureToggle.name,
               FeatureToggle.created_at, FeatureToggle.updated_at, FeatureToggle.type),
              default=FeatureToggle.identifier),
    filters={
        "type": Filter.eq(FeatureToggle.type, "Only toggles of this type",
                          choices=("boolean", "string", "number", "json")),
        "category": Filter.contains(FeatureToggle.category, "Category contains"),
        "name": Filter.contains(FeatureToggle.name, "Name contains"),
        "identifier": Filter.contains(FeatureToggle.identifier, "Identifier contains"),
    },
    max_page_size=200,
    scope=_super_admins_see_all,
    detail=True,
    fields=Fields("id", "identifier", "name", "description", "category", "type", "default_value",
                  "created_at", "updated_at"),
    hooks=Hooks(authorize=require_super_admin, before_create=_check_value, before_update=_check_value),
)


overrides = Resource(
    path="/feature_toggles/overrides",
    model=FeatureToggleOverride,
    entity="feature_toggles.override",
    create_schema=None,
    update_schema=None,
    operations=frozenset(),
    features=Features.view_manage(MANAGE, MANAGE),
    tag=TAG,
    label="Feature toggle override",
    scope="tenant",
    soft_delete=False,
    fields=Fields("id", "toggle_id", "tenant_id", "value", "created_at", "updated_at"),
    hooks=Hooks(authorize=require_super_admin),
)
