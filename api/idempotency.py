"""`Idempotency-Key` on the requests systems retry (starting instances, signals, advancing, completing tasks,
executing rules): a retry with the same key and the same request answers what the first one answered, with
no second effect; the same key with another request is a 409.

A key belongs to a tenant. The first request claims it (a row committed at once, so a concurrent duplicate
sees it) and its answer is written in the request's own transaction, so the effect and the recorded answer
commit together. A duplicate that arrives while the first runs waits for that answer. Refusals (4xx) are
recorded too, they had no effect; a failure (5xx, or an unexpected error) gives the key back so a retry runs
again. Keys expire `idempotency_ttl_seconds` after their first use."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import JSON, Index, Integer, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from api.auth import AuthContext
from api.db import Base, IdMixin, sessionmaker, utcnow
from api.errors import ApiError, BadRequest, Conflict
from api.settings import get_settings

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
PENDING, DONE = "pending", "done"


class IdempotencyKey(IdMixin, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        Index("idempotency_keys_tenant_key_uq", "tenant_id", "key", unique=True),
        Index("idempotency_keys_expires_idx", "expires_at"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    # sha256 of caller, method, path and body: the same key with another request is a conflict.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


Endpoint = Callable[..., Awaitable[Any]]


def idempotent(endpoint: Endpoint) -> Endpoint:
    """Make a POST route honour `Idempotency-Key`. The route takes `request`, `session` and `ctx` (the auth
    context) by those names; FastAPI reads the route's own signature through `functools.wraps`."""

    @functools.wraps(endpoint)
    async def route(**kwargs: Any) -> Any:
        request: Request = kwargs["request"]
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return await endpoint(**kwargs)
        ctx: AuthContext = kwargs["ctx"]
        session: AsyncSession = kwargs["session"]
        key = raw_key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise BadRequest(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters")
        if not ctx.tenant_id:
            raise BadRequest(f"{HEADER} needs a tenant")
        fingerprint = _fingerprint(ctx, request, await request.body())
        # The claim and its release use sessions of their own; the request's gives its connection back
        # first (it has only read, to authenticate), or as many concurrent keyed requests as the pool has
        # connections would each hold one while waiting for a second that never comes.
        if session.in_transaction():
            await session.commit()
        claim = await _claim(ctx.tenant_id, key, fingerprint)
        if isinstance(claim, JSONResponse):
            return claim
        try:
            result = await endpoint(**kwargs)
        except ApiError as exc:
            await session.rollback()  # what the request wrote and did not commit is lost anyway
            if exc.status >= 500:
                await _release(claim)
            else:
                await _finish(claim, exc.status, exc.body())
            raise
        except BaseException:
            await session.rollback()
            await _release(claim)
            raise
        route_ = request.scope.get("route")
        status = getattr(route_, "status_code", None) or 200
        if isinstance(result, JSONResponse):
            status = result.status_code
            stored: Any = json.loads(bytes(result.body)) if result.body else None
        else:
            stored = jsonable_encoder(result)
        # In the request's transaction: recorded if and only if the effect commits.
        await session.execute(update(IdempotencyKey).where(IdempotencyKey.id == claim)
                              .values(status=DONE, response_status=status, response_body=stored))
        return result

    return route


def _fingerprint(ctx: AuthContext, request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (ctx.user_id or ctx.email or "", request.method, request.url.path):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


async def _claim(tenant_id: str, key: str, fingerprint: str) -> str | JSONResponse:
    """The id of a fresh claim, or the first request's recorded answer."""
    settings = get_settings()
    deadline = asyncio.get_running_loop().time() + settings.idempotency_wait_seconds
    while True:
        now = utcnow()
        async with sessionmaker()() as session:
            # Expired keys are forgotten; a claim whose request died without an answer is given up after
            # the wait window too, so a retry is never refused forever.
            await session.execute(delete(IdempotencyKey).where(
                IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.key == key,
                (IdempotencyKey.expires_at <= now) | ((IdempotencyKey.status == PENDING) & (
                    IdempotencyKey.created_at <= now - timedelta(seconds=settings.idempotency_lease_seconds)))))
            row = IdempotencyKey(tenant_id=tenant_id, key=key, fingerprint=fingerprint, status=PENDING,
                                 created_at=now,
                                 expires_at=now + timedelta(seconds=settings.idempotency_ttl_seconds))
            session.add(row)
            try:
                await session.commit()
                return row.id
            except IntegrityError:
                await session.rollback()
            found = (await session.execute(select(IdempotencyKey).where(
                IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.key == key))).scalars().first()
        if found is None:
            continue  # expired or given back between our insert and read: claim again
        if found.fingerprint != fingerprint:
            raise Conflict(f"{HEADER} was already used with a different request")
        if found.status == DONE:
            return JSONResponse(found.response_body, status_code=found.response_status or 200,
                                headers={"Idempotent-Replayed": "true"})
        if asyncio.get_running_loop().time() >= deadline:
            raise Conflict(f"A request with this {HEADER} is still in progress; retry later")
        await asyncio.sleep(0.05)


async def _finish(claim: str, status: int, body: Any) -> None:
    async with sessionmaker()() as session:
        await session.execute(update(IdempotencyKey).where(IdempotencyKey.id == claim)
                              .values(status=DONE, response_status=status, response_body=body))
        await session.commit()


async def _release(claim: str) -> None:
    async with sessionmaker()() as session:
        await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim))
        await session.commit()
