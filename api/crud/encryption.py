"""Encryption at rest of custom field values: AES-GCM under a per-tenant data key, each data key stored
wrapped (AES-GCM) by the master key from settings (`STEPWISE_ENCRYPTION_MASTER_KEY`, else generated
into the data directory). An optional deterministic hash (HMAC-SHA256 under a key derived from the
data key) lets lists find rows by equality without decrypting. See docs/custom-fields.md."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow
from api.settings import get_settings

PREFIX = "enc:v1:"
NONCE = 12


class TenantDataKey(Base):
    """One data key per tenant, wrapped by the master key; never stored or logged in clear."""

    __tablename__ = "encryption_tenant_keys"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    wrapped_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Unwrapped data keys of this process, by tenant and master key (a changed master key misses).
_keys: dict[tuple[str, bytes], bytes] = {}


def _wrap(master: bytes, tenant_id: str, key: bytes) -> str:
    nonce = secrets.token_bytes(NONCE)
    return base64.b64encode(nonce + AESGCM(master).encrypt(nonce, key, tenant_id.encode())).decode()


def _unwrap(master: bytes, tenant_id: str, wrapped: str) -> bytes:
    raw = base64.b64decode(wrapped)
    return AESGCM(master).decrypt(raw[:NONCE], raw[NONCE:], tenant_id.encode())


async def data_key(session: AsyncSession, tenant_id: str) -> bytes:
    """The tenant's data key, created (and stored wrapped) on first use."""
    master = get_settings().master_key()
    cached = _keys.get((tenant_id, master))
    if cached is not None:
        return cached
    row = await session.get(TenantDataKey, tenant_id)
    if row is None:
        key = AESGCM.generate_key(bit_length=256)
        try:
            # A savepoint: a concurrent request may create the tenant's key first; then use theirs.
            async with session.begin_nested():
                session.add(TenantDataKey(tenant_id=tenant_id, wrapped_key=_wrap(master, tenant_id, key)))
        except IntegrityError:
            row = (await session.execute(select(TenantDataKey).where(
                TenantDataKey.tenant_id == tenant_id))).scalar_one()
    if row is not None:
        key = _unwrap(master, tenant_id, row.wrapped_key)
    _keys[(tenant_id, master)] = key
    return key


def encrypt(key: bytes, value: Any, context: str) -> str:
    """`value` (any JSON value) as `enc:v1:<base64 nonce+ciphertext>`; `context` (entity and field)
    is authenticated, so a ciphertext moved to another field does not decrypt."""
    nonce = secrets.token_bytes(NONCE)
    sealed = AESGCM(key).encrypt(nonce, json.dumps(value).encode(), context.encode())
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def decrypt(key: bytes, stored: str, context: str) -> Any:
    if not stored.startswith(PREFIX):
        return stored  # written before the field was encrypted
    raw = base64.b64decode(stored[len(PREFIX):])
    try:
        return json.loads(AESGCM(key).decrypt(raw[:NONCE], raw[NONCE:], context.encode()))
    except (InvalidTag, ValueError):
        return None


def lookup_hash(key: bytes, value: Any, context: str) -> str:
    """The deterministic hash of a value for equality lookups (same value, same field: same hash)."""
    hash_key = hmac.new(key, b"stepwise lookup hash", hashlib.sha256).digest()
    text = value if isinstance(value, str) else json.dumps(value)
    return hmac.new(hash_key, f"{context}\x00{text}".encode(), hashlib.sha256).hexdigest()
