"""The console's calls to the API: in-process (no socket), with the browser's cookies, so every feature
check, tenancy rule and validation message is the API's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request


class SignedOut(Exception):
    """The API answered 401: the console sends the browser to the login page."""


@dataclass
class Answer:
    status: int
    body: Any
    text: str

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def error(self) -> str:
        if isinstance(self.body, dict) and self.body.get("error"):
            return str(self.body["error"])
        return f"HTTP {self.status}"

    @property
    def details(self) -> list[Any]:
        details = self.body.get("details") if isinstance(self.body, dict) else None
        return details if isinstance(details, list) else []


class Api:
    def __init__(self, request: Request) -> None:
        self.request = request

    async def call(self, method: str, path: str, *, signing_in: bool = False, **kw: Any) -> Answer:
        headers = {"cookie": self.request.headers.get("cookie", ""), "accept": "application/json"}
        token = self.request.cookies.get("auth_token")
        if token:
            # The console checked its own CSRF token on every form post; towards the API it acts as a client
            # holding the session's token (the API's cookie-write origin check is for browsers).
            headers["authorization"] = f"Bearer {token}"
        transport = httpx.ASGITransport(app=self.request.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.internal") as http:
            response = await http.request(method, "/api" + path, headers=headers, **kw)
        if response.status_code == 401 and not signing_in:
            raise SignedOut
        try:
            body = response.json()
        except ValueError:
            body = None
        return Answer(response.status_code, body, response.text)

    async def get(self, path: str, **params: Any) -> Any:
        answer = await self.call("GET", path, params={k: v for k, v in params.items() if v not in (None, "")})
        return answer.body if answer.ok else None

    async def text(self, path: str, **params: Any) -> str | None:
        answer = await self.call("GET", path, params=params)
        return answer.text if answer.ok else None
