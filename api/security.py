"""Credentials: password hashes, signed tokens and API key secrets. No database here."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.settings import get_settings

_hasher = PasswordHasher()
# Verifying against this when the account does not exist keeps login timing uniform.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def issue_token(*, user_id: str, tenant_id: str | None, org_id: str | None, email: str,
                roles: list[str], ttl_seconds: int | None = None, version: int = 0) -> str:
    settings = get_settings()
    now = int(time.time())
    claims = {
        "sub": user_id,
        "tenantId": tenant_id,
        "orgId": org_id,
        "email": email,
        "roles": roles,
        # The user's token version at issue (`users.token_version`): a later one revokes this token.
        "ver": version,
        "iat": now,
        "exp": now + (ttl_seconds if ttl_seconds is not None else settings.jwt_ttl_seconds),
    }
    return jwt.encode(claims, settings.secret(), algorithm="HS256")


# Tokens whose signature this process has verified, with their claims: a client sends the same token with
# every request, and checking its HMAC and parsing it again cost more than the rest of the caller lookup.
# Expiry is still checked on every use; keyed by the secret too, so a token is never trusted under another.
_VERIFIED_MAX = 4096
_verified: dict[tuple[str, str], dict[str, Any]] = {}


def decode_token(token: str) -> dict[str, Any] | None:
    secret = get_settings().secret()
    claims = _verified.get((secret, token))
    if claims is None:
        try:
            claims = jwt.decode(token, secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        if not isinstance(claims.get("sub"), str):
            return None
        if len(_verified) >= _VERIFIED_MAX:
            _verified.clear()
        _verified[(secret, token)] = claims
    elif not isinstance(claims.get("exp"), int | float) or claims["exp"] <= time.time():
        del _verified[(secret, token)]  # expired since (PyJWT refuses exp <= now, without leeway)
        return None
    return dict(claims)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_key_secret() -> str:
    """`omk_<8 hex>.<48 hex>`; the first 12 characters are the public prefix."""
    return f"omk_{secrets.token_hex(4)}.{secrets.token_hex(24)}"
