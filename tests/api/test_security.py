"""Signed tokens (api/security.py): a token verified once is remembered, and still refused once it expires, with
another secret, or changed by a single character."""

from __future__ import annotations

import time

import pytest

from api import security
from api.security import decode_token, issue_token
from api.settings import get_settings


def _token(ttl: int = 60) -> str:
    return issue_token(user_id="u-1", tenant_id="t-1", org_id="o-1", email="a@example.com", roles=[],
                       ttl_seconds=ttl)


def test_a_remembered_token_is_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = _token(ttl=60)
    claims = decode_token(token)
    assert claims is not None and claims["sub"] == "u-1"
    claims["sub"] = "someone-else"  # the caller's copy: the remembered claims are not changed
    assert (decode_token(token) or {})["sub"] == "u-1"
    later = time.time() + 61
    monkeypatch.setattr(security.time, "time", lambda: later)
    assert decode_token(token) is None


def test_a_remembered_token_is_not_trusted_under_another_secret_or_when_changed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    token = _token()
    assert decode_token(token) is not None
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert decode_token(forged) is None
    monkeypatch.setattr(get_settings(), "jwt_secret", "another-secret-" + "y" * 40)
    assert decode_token(token) is None
