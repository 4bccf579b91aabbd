"""Login throttling: a sliding window of attempts per account and per client address.

Counters live in process memory: with several API processes each one counts on its own, which
still bounds guessing to `processes x login_max_attempts` per window.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from api.errors import TooManyRequests
from api.settings import get_settings

TOO_MANY = "Too many login attempts. Please try again later."


class SlidingWindow:
    """At most `max_attempts` hits per key within the last `window_seconds`. Limits left as `None`
    are read from settings on every call, so a changed setting applies at once."""

    def __init__(self, *, max_attempts: int | None = None, window_seconds: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_attempts = max_attempts
        self.window_seconds = window_seconds
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._calls = 0

    def limits(self) -> tuple[int, int]:
        settings = get_settings()
        return (self.max_attempts if self.max_attempts is not None else settings.login_max_attempts,
                self.window_seconds if self.window_seconds is not None else settings.login_window_seconds)

    def _recent(self, key: str, now: float, window: int) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and hits[0] <= now - window:
            hits.popleft()
        if not hits:
            del self._hits[key]
        return hits

    def allowed(self, *keys: str) -> bool:
        limit, window = self.limits()
        now = self._clock()
        return all(len(self._recent(k, now, window)) < limit for k in keys)

    def hit(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._hits.setdefault(key, deque()).append(now)
        self._calls += 1
        if self._calls % 1000 == 0:
            self._sweep(now)

    def forget(self, key: str) -> None:
        self._hits.pop(key, None)

    def undo_one(self, key: str) -> None:
        hits = self._hits.get(key)
        if hits:
            hits.pop()

    def clear(self) -> None:
        self._hits.clear()

    def _sweep(self, now: float) -> None:
        # Keys of clients that went away would otherwise stay forever.
        _, window = self.limits()
        for key in list(self._hits):
            self._recent(key, now, window)


def client_address(request: Request) -> str:
    # The peer address only: a client-supplied X-Forwarded-For would let anyone pick a fresh
    # address per attempt. Behind a proxy, run uvicorn with --proxy-headers to set the peer.
    return request.client.host if request.client else "unknown"


@dataclass
class Attempt:
    """One counted attempt; `succeeded()` gives the account its allowance back."""

    window: SlidingWindow
    account_key: str
    address_key: str

    def succeeded(self) -> None:
        self.window.forget(self.account_key)
        self.window.undo_one(self.address_key)


def begin(window: SlidingWindow, request: Request, account: str, *, scope: str = "login") -> Attempt:
    """Count an attempt for `account` from this client, or refuse with 429 when either is over the
    limit (refused attempts are not counted, so waiting out the window always works)."""
    account_key = f"{scope}:account:{account.strip().lower()}"
    address_key = f"{scope}:address:{client_address(request)}"
    if not window.allowed(account_key, address_key):
        raise TooManyRequests(TOO_MANY if scope == "login" else "Too many requests. Please try again later.",
                              extra={"ok": False})
    window.hit(account_key, address_key)
    return Attempt(window, account_key, address_key)


login_throttle = SlidingWindow()
# Password reset mails cost something and can annoy the account owner: same limits, own counters.
reset_throttle = SlidingWindow()
