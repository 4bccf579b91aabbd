"""Authentication & Accounts: sign-in, users, roles, grants, features, sidebar and locale."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from api.auth import AuthContext, AuthDep, changes_nothing, requires
from api.crud import service as crud
from api.crud.answers import OK, json_answer, list_schema, many, shape, with_keys
from api.crud.query import list_parameters, parse, query_param
from api.deps import SessionDep
from api.errors import BadRequest
from api.features import CATALOGUE, MODULES
from api.modules.auth import acl, sidebar
from api.modules.auth import login as signin
from api.modules.auth.models import UserRole
from api.modules.auth.resources import TAG, users
from api.modules.auth.schemas import (
    FeatureCheck,
    LocaleInput,
    RoleAclUpdate,
    SidebarPreferencesInput,
    UserAclUpdate,
    is_uuid,
)

# The answers' shapes (the OpenAPI document).
ACL = shape(isSuperAdmin="boolean", features=many({"type": "string"}), organizations={"type": ["array", "null"]})
PREFERENCES = shape(locale="string", settings="object", canApplyToRoles="boolean", roles="array")

router = APIRouter(tags=[TAG])

ListUsers = Annotated[AuthContext, Depends(requires("auth.users.list"))]
ManageAcl = Annotated[AuthContext, Depends(requires("auth.acl.manage"))]
LOCALE_MAX_AGE = 365 * 24 * 3600


def _form_body(fields: dict[str, dict[str, Any]], required: list[str]) -> dict[str, Any]:
    """OpenAPI for the form-encoded sign-in endpoints (they read the form themselves)."""
    schema = {"type": "object", "properties": fields, "required": required}
    return {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}}


# --- sign-in -------------------------------------------------------------------------------------------

@router.post("/auth/login", summary="Authenticate user credentials",
             description="Validates the submitted credentials and issues a bearer token cookie for subsequent "
                         "API calls. `remember` (`on`/`1`/`true`) also keeps a `session_token` cookie; "
                         "`requireRole` (or `role`, comma-separated) demands one of those roles.",
             openapi_extra=_form_body({
                 "email": {"type": "string", "format": "email"}, "password": {"type": "string"},
                 "remember": {"type": "string", "enum": ["on", "1", "true"]},
                 "requireRole": {"type": "string"},
             }, ["email", "password"]),
             responses=json_answer(shape(ok="true", token="string", redirect="string")))
async def login(request: Request, session: SessionDep) -> JSONResponse:
    return await signin.login(request, session)


@router.get("/auth/session/refresh", summary="Refresh auth cookie from session token",
            description="Exchanges an existing `session_token` cookie for a fresh JWT auth cookie and redirects "
                        "the browser (to the login page when the session is missing or expired).",
            response_class=RedirectResponse, status_code=302)
async def session_refresh(request: Request, session: SessionDep, redirect: str | None = None) -> RedirectResponse:
    return await signin.refresh(request, session, redirect)


@router.get("/auth/logout", summary="Log out (legacy GET)",
            description="For convenience, the GET variant performs the same logout logic as POST and issues a "
                        "redirect.", response_class=RedirectResponse, status_code=302)
async def logout_get(request: Request, session: SessionDep) -> RedirectResponse:
    return await signin.logout(request, session)


@router.post("/auth/logout", summary="Invalidate session and redirect",
             description="Clears authentication cookies, ends the remember-me session and redirects the browser "
                         "to the login page. Works without a valid token too, so an expired sign-in can still "
                         "end its remembered session.",
             response_class=RedirectResponse, status_code=302)
async def logout_post(request: Request, session: SessionDep) -> RedirectResponse:
    return await signin.logout(request, session)


@router.post("/auth/reset", summary="Send reset email",
             description="Requests a password reset email for the given account. The endpoint always returns "
                         "`ok: true` to avoid leaking account existence.",
             openapi_extra=_form_body({"email": {"type": "string", "format": "email"}}, ["email"]),
             responses=json_answer(OK))
async def reset(request: Request, session: SessionDep) -> dict[str, Any]:
    return await signin.request_reset(request, session)


@router.post("/auth/reset/confirm", summary="Complete password reset",
             description="Validates the reset token and updates the user password.",
             openapi_extra=_form_body({"token": {"type": "string"}, "password": {"type": "string", "minLength": 6}},
                                      ["token", "password"]),
             responses=json_answer(shape(ok="true", redirect="string")))
async def reset_confirm(request: Request, session: SessionDep) -> dict[str, Any]:
    return await signin.confirm_reset(request, session)


# --- locale --------------------------------------------------------------------------------------------

def _locale_cookie(response: Response, locale: str) -> None:
    response.set_cookie("locale", locale, max_age=LOCALE_MAX_AGE, path="/", samesite="lax")


def _check_locale(locale: str) -> str:
    if locale not in sidebar.SUPPORTED_LOCALES:
        raise BadRequest("Invalid locale", extra={"supported": list(sidebar.SUPPORTED_LOCALES)})
    return locale


@router.get("/auth/locale", summary="GET /auth/locale",
            description="Returns the interface locale from the `locale` cookie (default `en`). With `?locale=` "
                        "it sets the cookie instead and redirects to `redirect` (a same-site path).",
            response_model=None,
            responses=json_answer(shape(locale="string", supported={"type": "array", "items": {"type": "string"}})))
async def locale_get(request: Request, locale: str | None = None,
                     redirect: str | None = None) -> dict[str, Any] | RedirectResponse:
    if locale is None:
        return {"locale": sidebar.request_locale(request), "supported": list(sidebar.SUPPORTED_LOCALES)}
    response = RedirectResponse(signin.safe_redirect(redirect), status_code=302)
    _locale_cookie(response, _check_locale(locale))
    return response


@router.post("/auth/locale", status_code=201, summary="POST /auth/locale",
             description="Sets the interface locale cookie (`locale`, one year) from `{locale}`; one of "
                         "en, pl, de, es.",
             responses=json_answer(shape(ok="true", locale="string"), 201))
async def locale_post(body: LocaleInput) -> JSONResponse:
    locale = _check_locale(body.locale)
    response = JSONResponse({"ok": True, "locale": locale}, status_code=201)
    _locale_cookie(response, locale)
    return response


# --- features and navigation ---------------------------------------------------------------------------

@router.get("/auth/admin/nav", summary="Resolve sidebar entries",
            description="Returns the backend navigation tree available to the authenticated administrator after "
                        "applying role and personal sidebar preferences.",
            responses=json_answer(shape(groups=many(shape(id="string", name="string", items="array")))))
async def admin_nav(request: Request, session: SessionDep, ctx: AuthDep) -> dict[str, Any]:
    return await sidebar.navigation(session, ctx, sidebar.request_locale(request))


@router.post("/auth/feature-check", summary="Check feature grants for the current user",
             description="Evaluates which of the requested features are available to the signed-in user within "
                         "the active tenant / organization context.",
             responses=json_answer(shape(ok="boolean", granted=many({"type": "string"}))))
@changes_nothing
async def feature_check(body: FeatureCheck, ctx: AuthDep) -> dict[str, Any]:
    granted = [f for f in dict.fromkeys(body.features) if ctx.can(f)]
    return {"ok": len(granted) == len(set(body.features)), "granted": granted}


@router.get("/auth/features", summary="List declared feature flags",
            description="Returns all static features contributed by the enabled modules along with their module "
                        "source. Requires features: auth.acl.manage",
            responses=json_answer(shape(items=many(shape(id="string", title="string", module="string")))))
async def features(ctx: ManageAcl) -> dict[str, Any]:
    items = sorted(CATALOGUE.values(), key=lambda f: (f.module, f.id))
    return {"items": [{"id": f.id, "title": f.title, "module": f.module} for f in items],
            "modules": [{"id": m.id, "title": m.title} for m in sorted(MODULES.values(), key=lambda m: m.id)]}


@router.get("/auth/sidebar/preferences", summary="Get sidebar preferences",
            description="Returns personal sidebar customization and any role-level preferences the user can manage.",
            responses=json_answer(PREFERENCES))
async def sidebar_get(request: Request, session: SessionDep, ctx: AuthDep) -> dict[str, Any]:
    return await sidebar.get_preferences(session, ctx, sidebar.request_locale(request))


@router.put("/auth/sidebar/preferences", summary="Update sidebar preferences",
            description="Updates personal sidebar configuration and, optionally, applies the same settings to "
                        "selected roles (`applyToRoles`, or `clearRoleIds` to remove theirs; both need "
                        "auth.sidebar.manage).",
            responses=json_answer(PREFERENCES))
async def sidebar_put(body: SidebarPreferencesInput, request: Request, session: SessionDep,
                      ctx: AuthDep) -> dict[str, Any]:
    return await sidebar.put_preferences(session, ctx, sidebar.request_locale(request), body)


# --- users ---------------------------------------------------------------------------------------------

def _role_filter(request: Request) -> list[str]:
    raw = [*request.query_params.getlist("roleIds"), *request.query_params.getlist("roleIds[]"),
           *request.query_params.getlist("roleId")]
    ids = [v.strip() for item in raw for v in item.split(",") if v.strip()]
    bad = [v for v in ids if not is_uuid(v)]
    if bad:
        raise BadRequest("Invalid input", [{"path": ["roleIds"], "message": "Expected role ids"}])
    return ids


@router.get("/auth/users", summary="List users",
            description="Returns users for the current tenant (and the organizations in scope), with their "
                        "organization, tenant and role names. Filters: `organizationId`, `roleIds` (repeated or "
                        "comma-separated), `search` (email, name). Requires features: auth.users.list",
            openapi_extra={"parameters": [
                *list_parameters(crud.list_spec(users)),
                query_param("roleIds", "string", "Only holders of these roles (repeat or comma-separate)")]},
            responses=json_answer(list_schema(users)))
async def list_users(request: Request, session: SessionDep, ctx: ListUsers) -> dict[str, Any]:
    params = dict(request.query_params)
    role_ids = _role_filter(request)
    if role_ids:
        holders = set((await session.execute(
            select(UserRole.user_id).where(UserRole.role_id.in_(role_ids))
        )).scalars())
        if params.get("ids"):
            holders &= {i for i in params["ids"].split(",") if i}
        if params.get("id"):
            holders &= {params["id"]}
        if not holders:
            query = parse(params, crud.list_spec(users))
            return users.envelope.wrap([], 0, query.page, query.size)
        params["ids"] = ",".join(sorted(holders))
    return await crud.list_rows(users, ctx, session, params)


@router.get("/auth/users/acl", summary="Fetch user ACL",
            description="Returns custom ACL overrides for a user within the current tenant, if any. "
                        "Requires features: auth.acl.manage",
            responses=json_answer(with_keys(ACL, hasCustomAcl="boolean")))
async def get_user_acl(session: SessionDep, ctx: ManageAcl, userId: str | None = None) -> dict[str, Any]:  # noqa: N803
    return await acl.get_user_acl(session, ctx, userId)


@router.put("/auth/users/acl", summary="Update user ACL",
            description="Configures per-user ACL overrides, including super admin access, feature list, and "
                        "organization scope. Unknown features are dropped (`sanitized: true`); with no features "
                        "and no super admin access the user falls back to role grants. "
                        "Requires features: auth.acl.manage",
            responses=json_answer(shape(ok="true", sanitized="any")))
async def put_user_acl(body: UserAclUpdate, session: SessionDep, ctx: ManageAcl) -> dict[str, Any]:
    sanitized = await acl.put_user_acl(session, ctx, body)
    return {"ok": True, "sanitized": sanitized}


# --- roles ---------------------------------------------------------------------------------------------

@router.get("/auth/roles/acl", summary="Fetch role ACL",
            description="Returns the feature and organization assignments associated with a role within the "
                        "current tenant. Requires features: auth.acl.manage",
            responses=json_answer(ACL))
async def get_role_acl(session: SessionDep, ctx: ManageAcl, roleId: str | None = None,  # noqa: N803
                       tenantId: str | None = None) -> dict[str, Any]:  # noqa: N803
    return await acl.get_role_acl(session, ctx, roleId, tenantId)


@router.put("/auth/roles/acl", summary="Update role ACL",
            description="Replaces the feature list, super admin flag, and optional organization assignments for "
                        "a role (keys left out keep their value). Unknown features are dropped "
                        "(`sanitized: true`). Requires features: auth.acl.manage",
            responses=json_answer(shape(ok="true", sanitized="any")))
async def put_role_acl(body: RoleAclUpdate, session: SessionDep, ctx: ManageAcl) -> dict[str, Any]:
    sanitized = await acl.put_role_acl(session, ctx, body)
    return {"ok": True, "sanitized": sanitized}

