"""Embedding providers behind one interface, each a real HTTP client (httpx) of the provider's API. A provider
is configured when its key (Ollama: its URL) is in the settings; without one, the vector strategy reports
"not configured" and returns nothing, it never invents vectors."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import utcnow
from api.modules.query_index.models import IndexEntry
from api.modules.search import config
from api.settings import Settings, get_settings

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class NotConfigured(Exception):
    """No embedding provider is configured (or its key is missing)."""


class ProviderError(Exception):
    """The provider answered with an error or something that is not a list of vectors."""


@dataclass(frozen=True)
class ProviderInfo:
    id: str
    name: str
    setting: str  # the STEPWISE_ variable that configures it
    default_model: str
    models: dict[str, int]  # model -> dimension
    implemented: bool = True


PROVIDERS: dict[str, ProviderInfo] = {
    "openai": ProviderInfo("openai", "OpenAI", "STEPWISE_OPENAI_API_KEY", "text-embedding-3-small",
                           {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072,
                            "text-embedding-ada-002": 1536}),
    "google": ProviderInfo("google", "Google Generative AI", "STEPWISE_GOOGLE_API_KEY", "text-embedding-004",
                           {"text-embedding-004": 768, "embedding-001": 768}),
    "mistral": ProviderInfo("mistral", "Mistral", "STEPWISE_MISTRAL_API_KEY", "mistral-embed",
                            {"mistral-embed": 1024}),
    "cohere": ProviderInfo("cohere", "Cohere", "STEPWISE_COHERE_API_KEY", "embed-english-v3.0",
                           {"embed-english-v3.0": 1024, "embed-multilingual-v3.0": 1024,
                            "embed-english-light-v3.0": 384, "embed-multilingual-light-v3.0": 384}),
    # Bedrock needs AWS request signing, which no client here implements yet: listed, never configured.
    "bedrock": ProviderInfo("bedrock", "Amazon Bedrock", "AWS credentials", "amazon.titan-embed-text-v2:0",
                            {"amazon.titan-embed-text-v2:0": 1024}, implemented=False),
    "ollama": ProviderInfo("ollama", "Ollama (Local)", "STEPWISE_OLLAMA_BASE_URL", "nomic-embed-text",
                           {"nomic-embed-text": 768, "mxbai-embed-large": 1024, "all-minilm": 384}),
}


def _configured(provider_id: str, s: Settings) -> bool:
    return {"openai": bool(s.openai_api_key), "google": bool(s.google_api_key), "mistral": bool(s.mistral_api_key),
            "cohere": bool(s.cohere_api_key), "ollama": bool(s.ollama_base_url)}.get(provider_id, False)


def configured_providers() -> list[str]:
    s = get_settings()
    return [p for p in PROVIDERS if _configured(p, s)]


def _vectors(data: Any, count: int) -> list[list[float]]:
    if not isinstance(data, list) or len(data) != count or not all(
            isinstance(v, list) and v and all(isinstance(x, int | float) for x in v) for v in data):
        raise ProviderError("The embedding provider answered without one vector per text")
    return [[float(x) for x in v] for v in data]


@dataclass
class HttpProvider:
    provider_id: str
    model: str
    dimension: int | None
    base_url: str
    api_key: str

    async def _post(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                response = await client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderError(f"{PROVIDERS[self.provider_id].name} is unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise ProviderError(f"{PROVIDERS[self.provider_id].name} answered {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderError(f"{PROVIDERS[self.provider_id].name} answered with invalid JSON") from exc

    async def embed(self, texts: Sequence[str], *, query: bool = False) -> list[list[float]]:
        base = self.base_url.rstrip("/")
        bearer = {"Authorization": f"Bearer {self.api_key}"}
        if self.provider_id in ("openai", "mistral"):
            body: dict[str, Any] = {"model": self.model, "input": list(texts)}
            if self.provider_id == "openai" and self.dimension and self.model.startswith("text-embedding-3"):
                body["dimensions"] = self.dimension
            data = await self._post(f"{base}/embeddings", body, bearer)
            items = sorted(data.get("data", []), key=lambda d: d.get("index", 0)) if isinstance(data, dict) else []
            return _vectors([d.get("embedding") for d in items], len(texts))
        if self.provider_id == "google":
            request: dict[str, Any] = {"model": f"models/{self.model}"}
            if self.dimension:
                request["outputDimensionality"] = self.dimension
            data = await self._post(
                f"{base}/models/{self.model}:batchEmbedContents",
                {"requests": [{**request, "content": {"parts": [{"text": t}]}} for t in texts]},
                {"x-goog-api-key": self.api_key})
            return _vectors([e.get("values") for e in (data.get("embeddings") or [])] if isinstance(data, dict)
                            else None, len(texts))
        if self.provider_id == "cohere":
            data = await self._post(f"{base}/embed", {
                "model": self.model, "texts": list(texts), "embedding_types": ["float"],
                "input_type": "search_query" if query else "search_document"}, bearer)
            embeddings = data.get("embeddings") if isinstance(data, dict) else None
            return _vectors(embeddings.get("float") if isinstance(embeddings, dict) else embeddings, len(texts))
        if self.provider_id == "ollama":
            data = await self._post(f"{base}/api/embed", {"model": self.model, "input": list(texts)}, {})
            return _vectors(data.get("embeddings") if isinstance(data, dict) else None, len(texts))
        raise NotConfigured(f"Provider {self.provider_id} is not supported")


def effective_dimension(cfg: dict[str, Any]) -> int | None:
    value = cfg.get("outputDimensionality") or cfg.get("dimension")
    return int(value) if isinstance(value, int | float) and value > 0 else None


def provider_for(cfg: dict[str, Any] | None) -> HttpProvider:
    if not cfg:
        raise NotConfigured("No embedding provider is configured")
    provider_id = str(cfg.get("providerId"))
    s = get_settings()
    info = PROVIDERS.get(provider_id)
    if info is None or not info.implemented or not _configured(provider_id, s):
        raise NotConfigured(f"Embedding provider {provider_id} is not configured")
    # Keys never leave for a URL a tenant typed: only Ollama (no key) may take the tenant's base URL.
    base, key = {
        "openai": (s.openai_base_url, s.openai_api_key), "google": (s.google_base_url, s.google_api_key),
        "mistral": (s.mistral_base_url, s.mistral_api_key), "cohere": (s.cohere_base_url, s.cohere_api_key),
        "ollama": (s.ollama_base_url, ""),
    }[provider_id]
    return HttpProvider(provider_id, str(cfg.get("model") or info.default_model), effective_dimension(cfg), base, key)


def model_key(cfg: dict[str, Any]) -> str:
    return f"{cfg.get('providerId')}:{cfg.get('model')}:{effective_dimension(cfg)}"


async def embed_entries(session: AsyncSession, tenant_id: str, entries: list[IndexEntry]) -> None:
    """Compute and store the embeddings of `entries` with the tenant's provider."""
    cfg = await config.embedding_config(session, tenant_id)
    provider = provider_for(cfg)
    assert cfg is not None
    vectors = await provider.embed([_entry_text(e) for e in entries])
    now, key = utcnow(), model_key(cfg)
    for entry, vector in zip(entries, vectors, strict=True):
        entry.embedding, entry.embedding_model, entry.vectorized_at = vector, key, now
    await session.flush()


def _entry_text(entry: IndexEntry) -> str:
    parts = [entry.title, entry.subtitle or "", *(str(v) for v in (entry.doc or {}).values() if v not in (None, ""))]
    return "\n".join(p for p in parts if p)[:8000]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    if len(a) != len(b):
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0
