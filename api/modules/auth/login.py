"""Signing in and out: credentials, remember-me sessions, token refresh and password resets.

Only hashes of opaque tokens (remember-me sessions, reset links) are stored, so a copy of the
database does not let anyone sign in.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import audit, outbox, ratelimit
from api.auth import AuthContext, bearer_token, context_for_user
from api.body import parse_json
from api.db import new_id, utcnow
from api.errors import BadRequest, Forbidden, Unauthorized
from api.mail import send_mail
from api.modules.auth.models import PasswordReset, Session, User
from api.security import decode_token, hash_password, issue_token, new_opaque_token, sha256, verify_password
from api.settings import get_settings

log = logging.getLogger("stepwise.auth")

LOGIN_REDIRECT = "/backend"
LOGIN_PAGE = "/login"
TRUE_TOKENS = {"on", "1", "true", "yes"}
MAX_EMAIL = 320
MAX_PASSWORD = 1024


def _refuse(cls: type[BadRequest] | type[Unauthorized] | type[Forbidden], message: str) -> Exception:
    # The sign-in endpoints answer `{ok: false, error}` like the reference's login form expects.
    return cls(message, extra={"ok": False})


def _aware(value: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def safe_redirect(target: str | None, default: str = "/") -> str:
    """Only same-site paths: `//host`, `/\\host` and absolute URLs would send the browser away."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target


async def read_form(request: Request) -> dict[str, str]:
    """Form fields (url-encoded or multipart); a JSON object of strings is accepted too."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form()
        except (StarletteHTTPException, ValueError, UnicodeDecodeError):
            raise _refuse(BadRequest, "Invalid form body") from None
        out: dict[str, str] = {}
        for key, value in form.multi_items():
            if not isinstance(value, str):
                raise _refuse(BadRequest, "Invalid form body")
            out.setdefault(key, value)
        return out
    if ctype == "application/json":
        try:
            data = parse_json(await request.body())
        except BadRequest:
            raise _refuse(BadRequest, "Invalid JSON body") from None
        if not isinstance(data, dict):
            raise _refuse(BadRequest, "Invalid JSON body")
        fields: dict[str, str] = {}
        for key, value in data.items():
            if isinstance(value, bool):
                fields[key] = "true" if value else "false"
            elif isinstance(value, str):
                fields[key] = value
            elif value is not None:
                raise _refuse(BadRequest, f"Invalid value for {key}")
        return fields
    raise _refuse(BadRequest, "Expected an application/x-www-form-urlencoded body")


def _valid_email(email: str) -> bool:
    local, _, domain = email.partition("@")
    return bool(local) and bool(domain) and len(email) <= MAX_EMAIL and not any(c.isspace() for c in email)


def set_auth_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie("auth_token", token, max_age=settings.jwt_ttl_seconds, path="/", httponly=True,
                        samesite="lax", secure=settings.secure_cookies)


def _clear_cookies(response: Response) -> None:
    secure = get_settings().secure_cookies
    for name in ("auth_token", "session_token"):
        response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure)


async def _user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.execute(
        select(User).where(func.lower(User.email) == email.lower(), User.deleted_at.is_(None))
    )).scalars().first()


def _token_for(ctx: AuthContext, user: User) -> str:
    return issue_token(user_id=user.id, tenant_id=user.tenant_id, org_id=user.organization_id,
                       email=user.email, roles=ctx.roles, version=user.token_version or 0)


async def login(request: Request, session: AsyncSession) -> JSONResponse:
    form = await read_form(request)
    email = form.get("email", "").strip()
    password = form.get("password", "")
    # Counted before anything else, so malformed attempts are throttled as well.
    attempt = ratelimit.begin(ratelimit.login_throttle, request, email or "-")
    if not email or not password:
        raise _refuse(BadRequest, "Email and password are required")
    if not _valid_email(email) or len(password) > MAX_PASSWORD:
        raise _refuse(BadRequest, "Invalid email or password format")
    user = await _user_by_email(session, email)
    # Verified even for unknown accounts (against a dummy hash) so timing does not tell them apart.
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise _refuse(Unauthorized, "Invalid email or password")
    ctx = await context_for_user(session, user)
    required = [r.strip() for r in (form.get("requireRole") or form.get("role") or "").split(",") if r.strip()]
    if required and not any(r in ctx.roles for r in required):
        raise _refuse(Forbidden, "Not authorized for this area")
    attempt.succeeded()
    user.last_login_at = utcnow()
    token = _token_for(ctx, user)
    response = JSONResponse({"ok": True, "token": token, "redirect": LOGIN_REDIRECT})
    set_auth_cookie(response, token)
    if form.get("remember", "").strip().lower() in TRUE_TOKENS:
        settings = get_settings()
        secret = new_opaque_token()
        expires = utcnow() + timedelta(days=settings.remember_me_days)
        session.add(Session(id=new_id(), user_id=user.id, token_hash=sha256(secret), expires_at=expires))
        response.set_cookie("session_token", secret, expires=expires, path="/", httponly=True,
                            samesite="lax", secure=settings.secure_cookies)
    await session.flush()
    return response


async def refresh(request: Request, session: AsyncSession, redirect: str | None) -> RedirectResponse:
    target = safe_redirect(redirect)
    secret = request.cookies.get("session_token")
    row = (await session.execute(
        select(Session).where(Session.token_hash == sha256(secret))
    )).scalars().first() if secret else None
    now = utcnow()
    user = await session.get(User, row.user_id) if row is not None and _aware(row.expires_at) > now else None
    if row is None or user is None or user.deleted_at is not None:
        response = RedirectResponse(f"{LOGIN_PAGE}?redirect={quote(target, safe='')}", status_code=302)
        if secret:
            _clear_cookies(response)
        return response
    row.last_used_at = now
    ctx = await context_for_user(session, user)
    response = RedirectResponse(target, status_code=302)
    set_auth_cookie(response, _token_for(ctx, user))
    await session.flush()
    return response


async def logout(request: Request, session: AsyncSession) -> RedirectResponse:
    secret = request.cookies.get("session_token")
    if secret:
        await session.execute(delete(Session).where(Session.token_hash == sha256(secret)))
    # The signed-in token itself stops working: every token of the account issued so far is revoked
    # (a signed token cannot be revoked alone without a lookup on every request).
    claims = decode_token(bearer_token(request) or "")
    if claims is not None:
        user = await session.get(User, claims["sub"])
        if user is not None and int(claims.get("ver") or 0) == (user.token_version or 0):
            user.token_version = (user.token_version or 0) + 1
    response = RedirectResponse(LOGIN_PAGE, status_code=302)
    _clear_cookies(response)
    return response


def _reset_mail(link: str, ttl_seconds: int) -> str:
    minutes = max(1, ttl_seconds // 60)
    return (
        "Someone asked to reset the password of your account.\n\n"
        f"Set a new password here (the link expires in {minutes} minutes):\n{link}\n\n"
        "If you did not ask for this, ignore this message; your password stays as it is.\n"
    )


async def request_reset(request: Request, session: AsyncSession) -> dict[str, Any]:
    form = await read_form(request)
    email = form.get("email", "").strip()
    if not email:
        raise _refuse(BadRequest, "Email is required")
    if not _valid_email(email):
        raise _refuse(BadRequest, "Invalid email address")
    ratelimit.begin(ratelimit.reset_throttle, request, email, scope="reset")
    user = await _user_by_email(session, email)
    if user is None:
        return {"ok": True}
    settings = get_settings()
    secret = new_opaque_token()
    session.add(PasswordReset(id=new_id(), user_id=user.id, token_hash=sha256(secret),
                              expires_at=utcnow() + timedelta(seconds=settings.password_reset_ttl_seconds)))
    await session.flush()
    link = f"{settings.app_url.rstrip('/')}/reset/{secret}"
    try:
        await send_mail(user.email, "Reset your password", _reset_mail(link, settings.password_reset_ttl_seconds))
    except Exception:  # noqa: BLE001 - an error here would reveal that the account exists
        log.exception("password reset mail to user %s failed", user.id)
    return {"ok": True}


async def confirm_reset(request: Request, session: AsyncSession) -> dict[str, Any]:
    form = await read_form(request)
    secret = form.get("token", "").strip()
    password = form.get("password", "")
    if len(secret) < 10 or len(secret) > 512 or len(password) < 6 or len(password) > MAX_PASSWORD:
        raise _refuse(BadRequest, "Invalid request")
    row = (await session.execute(
        select(PasswordReset).where(PasswordReset.token_hash == sha256(secret))
    )).scalars().first()
    now = utcnow()
    user = await session.get(User, row.user_id) if row is not None else None
    if (row is None or row.used_at is not None or _aware(row.expires_at) <= now
            or user is None or user.deleted_at is not None):
        raise _refuse(BadRequest, "Invalid or expired token")
    user.password_hash = hash_password(password)
    user.token_version = (user.token_version or 0) + 1
    user.updated_at = now
    # Every outstanding link of the account dies with this one, and so do remembered sessions.
    await session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id,
                                                      PasswordReset.used_at.is_(None)).values(used_at=now))
    await session.execute(delete(Session).where(Session.user_id == user.id))
    actor = await context_for_user(session, user)
    await audit.record(session, actor, command_id="auth.users.password_reset", resource_kind="auth.password_reset",
                       resource_id=user.id, before=None, after=None, label="Reset password",
                       organization_id=user.organization_id)
    outbox.emit(session, "auth.password_reset.completed", {"id": user.id}, tenant_id=user.tenant_id,
                organization_id=user.organization_id)
    await session.flush()
    return {"ok": True, "redirect": LOGIN_PAGE}
