"""The HTTP side of the CLI: one authenticated httpx client and the API's error envelope as a CLI error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class ApiFailure(Exception):
    """The API answered with an error (`{"error", "details"?}`) or could not be reached."""

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.details = details


@dataclass(frozen=True)
class Connection:
    url: str
    api_key: str | None = None
    token: str | None = None
    timeout: float = 30.0

    def headers(self) -> dict[str, str]:
        if self.api_key:
            return {"X-API-Key": self.api_key}
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        return {}

    def client(self) -> httpx.Client:
        base = self.url.rstrip("/")
        if not base.endswith("/api"):
            base += "/api"
        return httpx.Client(base_url=base, headers=self.headers(), timeout=self.timeout)

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            with self.client() as http:
                response = http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise ApiFailure(f"cannot reach {self.url}: {exc}") from None
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                raise ApiFailure(f"HTTP {response.status_code}: {response.text[:200]}") from None
            message = body.get("error") if isinstance(body, dict) else None
            raise ApiFailure(f"HTTP {response.status_code}: {message or response.text[:200]}",
                             body.get("details") if isinstance(body, dict) else None)
        return response

    def json(self, method: str, path: str, **kw: Any) -> Any:
        return self.call(method, path, **kw).json()
