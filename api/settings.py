"""The one settings object. Every value can come from the environment with the `STEPWISE_` prefix."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STEPWISE_", extra="ignore")

    data_dir: Path = ROOT / "data"
    # aiosqlite by default; `postgresql+asyncpg://user:pw@host:port/db` for PostgreSQL.
    database_url: str = ""

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "stepwise"

    jwt_secret: str = ""
    # Wraps every tenant's data key for encrypted custom fields (base64 of 32 bytes); generated into
    # `data/encryption_master_key` on first use when unset, like the JWT secret.
    encryption_master_key: str = ""
    jwt_ttl_seconds: int = 8 * 3600
    remember_me_days: int = 30
    password_reset_ttl_seconds: int = 3600
    app_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = False

    # Mail: SMTP when `smtp_host` is set, else one .eml file per message under `mail_outbox_dir`.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "stepwise@localhost"
    mail_outbox_dir: Path | None = None

    # CALL_WEBHOOK refuses private, loopback and link-local targets; development and tests may allow them.
    webhook_allow_private: bool = False
    # Derives each tenant's CALL_WEBHOOK signing secret (so none is stored per tenant); generated into
    # `data/webhook_signing_key` on first use when unset. Changing it changes every tenant's secret.
    webhook_signing_key: str = ""

    admin_email: str = "admin@example.com"
    admin_password: str = ""

    # Login throttling: attempts allowed per window, per account and per client address.
    login_max_attempts: int = 10
    login_window_seconds: int = 300

    # Optimistic locking of the collections that declare it: "all", "off", or a comma-separated list of
    # resource kinds (e.g. "business_rules.rule") to lock only those.
    optimistic_lock: str = "all"

    # Idempotency-Key: how long a key is remembered, how long a duplicate waits for the first request's
    # answer before a 409, and after how long a claim whose request never answered is given up.
    idempotency_ttl_seconds: int = 24 * 3600
    idempotency_wait_seconds: float = 30.0
    idempotency_lease_seconds: int = 600
    max_body_bytes: int = 2 * 1024 * 1024
    # Attachments: where the local storage driver keeps files and thumbnails (default `data/attachments`),
    # and the largest file one upload may carry (larger ones get 413; `max_body_bytes` applies first).
    attachments_dir: Path | None = None
    attachments_max_upload_bytes: int = 10 * 1024 * 1024
    outbox_poll_seconds: float = 0.5
    # GET /metrics (docs/operations.md): "open", "token" (a bearer token equal to `metrics_token`; none set
    # refuses every scrape) or "disabled" (404). The worker serves its own metrics on
    # `worker_metrics_host:worker_metrics_port`; port 0 turns that off.
    metrics_access: Literal["open", "token", "disabled"] = "open"
    metrics_token: str = ""
    # How many distinct definitions (and task queues) get a label of their own; the rest are counted as `other`.
    metrics_max_label_values: int = 100
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = 9464
    # How long Temporal holds a workflow task for the worker that ran the instance last (its sticky queue,
    # where the instance's state is cached) before any worker may take it with a full replay. After a
    # worker dies nothing of its instances moves for this long (the SDK's default is 10 s); too short, and a
    # merely busy worker loses tasks to replays. Chosen by bench/recovery.py (docs/benchmarks.md, "Recovery").
    worker_sticky_queue_timeout_seconds: float = 2.0
    # Booking availability queries: the longest range one query may cover and the most occurrences it may
    # expand (counting those a rule steps over before the range), so a rule like FREQ=HOURLY since 1990
    # is a 400, never a hang.
    booking_max_range_days: int = 366
    booking_max_occurrences: int = 50_000

    # Embedding providers of the vector search strategy: a provider is configured when its key (Ollama: its
    # URL) is set; the base URLs point the real HTTP clients elsewhere (a proxy, a compatible server, tests).
    openai_api_key: str = ""
    openai_base_url: str = "https://api.openai.com/v1"
    google_api_key: str = ""
    google_base_url: str = "https://generativelanguage.googleapis.com/v1beta"
    mistral_api_key: str = ""
    mistral_base_url: str = "https://api.mistral.ai/v1"
    cohere_api_key: str = ""
    cohere_base_url: str = "https://api.cohere.com/v2"
    ollama_base_url: str = ""

    # Exchange-rate providers of the currencies module (real HTTP clients); tests point them at a local server.
    currencies_nbp_url: str = "https://api.nbp.pl/api"
    currencies_raiffeisen_url: str = "https://www.rbinternational.com.pl/rest/rates/"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'stepwise.db'}"

    @property
    def outbox_dir(self) -> Path:
        return self.mail_outbox_dir or self.data_dir / "outbox"

    def locks(self, kind: str) -> bool:
        setting = self.optimistic_lock.strip().lower()
        if setting in ("", "all"):
            return True
        if setting in ("off", "false", "0", "no", "none"):
            return False
        return kind.lower() in {k.strip() for k in setting.split(",")}

    def secret(self) -> str:
        """The JWT secret: from settings, else one generated into `data/` on first use and kept."""
        if self.jwt_secret:
            return self.jwt_secret
        path = self.data_dir / "jwt_secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        self.jwt_secret = path.read_text().strip()
        return self.jwt_secret

    def master_key(self) -> bytes:
        """The key that wraps tenant data keys: from settings, else generated into `data/` and kept."""
        if not self.encryption_master_key:
            path = self.data_dir / "encryption_master_key"
            if not path.exists():
                self.data_dir.mkdir(parents=True, exist_ok=True)
                path.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
                path.chmod(0o600)
            self.encryption_master_key = path.read_text().strip()
        key = base64.b64decode(self.encryption_master_key)
        if len(key) not in (16, 24, 32):
            raise ValueError("STEPWISE_ENCRYPTION_MASTER_KEY must be the base64 of a 16, 24 or 32 byte key")
        return key

    def webhook_secret(self, tenant_id: str) -> str:
        """The tenant's CALL_WEBHOOK signing secret, `whsec_<base64 of 32 bytes>` (the Standard Webhooks
        format): HMAC-SHA256 of the tenant id under `webhook_signing_key`, so it is stable across
        processes and restarts without a table of secrets."""
        if not self.webhook_signing_key:
            path = self.data_dir / "webhook_signing_key"
            if not path.exists():
                self.data_dir.mkdir(parents=True, exist_ok=True)
                path.write_text(secrets.token_urlsafe(48))
                path.chmod(0o600)
            self.webhook_signing_key = path.read_text().strip()
        derived = hmac.new(self.webhook_signing_key.encode(), f"webhook:{tenant_id}".encode(), hashlib.sha256)
        return "whsec_" + base64.b64encode(derived.digest()).decode()


@lru_cache
def get_settings() -> Settings:
    return Settings()
