"""Freighttech tracking rules: the settings (API key encrypted at rest), the webhook token, and storing
delivered milestones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from api import outbox
from api.auth import AuthContext
from api.crud import encryption
from api.crud import service as crud
from api.crud.query import is_uuid
from api.db import new_id, utcnow
from api.errors import BadRequest, Unauthorized
from api.modules.directory.models import Organization
from api.modules.fms_tracking.models import FreighttechSettings, TrackingMilestone
from api.modules.fms_tracking.schemas import Delivery, SettingsBody, milestone_data
from api.settings import get_settings

KIND = "fms_tracking.freighttech_settings"
# The encryption context of the API key: a ciphertext moved to another field does not decrypt.
KEY_CONTEXT = "fms_tracking:freighttech_settings:api_key"
MASK = "****"
WEBHOOK_PATH = "/api/fms_tracking/webhook/freighttech"
# Separates the webhook token's signing key from every other use of the application secret.
TOKEN_PURPOSE = b"stepwise fms_tracking freighttech webhook token v1"


# --- settings ---------------------------------------------------------------------------------------

def mask(api_key: str) -> str:
    """What callers see of a stored key: enough to recognise it, never enough to use it."""
    if not api_key:
        return ""
    return MASK + api_key[-4:] if len(api_key) >= 12 else MASK


async def load(session: AsyncSession, tenant_id: str, org_id: str) -> FreighttechSettings | None:
    return (await session.execute(select(FreighttechSettings).where(
        FreighttechSettings.tenant_id == tenant_id, FreighttechSettings.organization_id == org_id))).scalars().first()


async def _clear_key(session: AsyncSession, row: FreighttechSettings) -> str:
    if not row.api_key:
        return ""
    key = await encryption.data_key(session, str(row.tenant_id))
    value = encryption.decrypt(key, row.api_key, KEY_CONTEXT)
    return value if isinstance(value, str) else ""


async def credentials(session: AsyncSession, row: FreighttechSettings) -> tuple[str, str] | None:
    """The organization's API key in clear (for an outgoing call only, never an answer) and base URL; None
    until both are set."""
    api_key = await _clear_key(session, row) if row.api_base_url else ""
    return (api_key, row.api_base_url) if api_key else None


def webhook_token(row: FreighttechSettings) -> str:
    return issue_token(str(row.tenant_id), str(row.organization_id), row.webhook_nonce)


def webhook_url(row: FreighttechSettings) -> str:
    """Where Freighttech delivers the organization's milestones: this server's webhook with its token."""
    return f"{get_settings().app_url.rstrip('/')}{WEBHOOK_PATH}?token={webhook_token(row)}"


async def answer(session: AsyncSession, ctx: AuthContext, row: FreighttechSettings | None) -> dict[str, Any]:
    """The settings as callers see them: the key masked; the webhook address (a credential) only for
    callers who may manage the settings, and only once the settings exist (the token is signed with them)."""
    if row is None:
        return {"apiKey": "", "apiBaseUrl": "", "webhookUrl": None, "webhookToken": None}
    manager = ctx.can("fms_tracking.settings.manage")
    return {"apiKey": mask(await _clear_key(session, row)), "apiBaseUrl": row.api_base_url,
            "webhookUrl": webhook_url(row) if manager else None,
            "webhookToken": webhook_token(row) if manager else None}


def _base_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest("Invalid input", [{"path": ["apiBaseUrl"], "message": "Expected an http(s) URL"}])
    return url


async def save(session: AsyncSession, ctx: AuthContext, body: SettingsBody) -> FreighttechSettings:
    """Creates or replaces the organization's settings. A key sent back masked (as GET shows it) keeps
    the stored one, so a settings form can be saved without retyping the key."""
    tenant_id, org_id = ctx.require_tenant(), ctx.require_org()
    base_url = _base_url(body.api_base_url)
    row = await load(session, tenant_id, org_id)
    before = _snapshot(row) if row is not None else None
    keep = body.api_key.startswith(MASK)
    if keep and (row is None or not row.api_key):
        raise BadRequest("Invalid input", [{"path": ["apiKey"], "message": "Enter the API key"}])
    if row is None:
        row = FreighttechSettings(id=new_id(), tenant_id=tenant_id, organization_id=org_id,
                                  webhook_nonce=secrets.token_urlsafe(24))
        session.add(row)
    if not keep:
        key = await encryption.data_key(session, tenant_id)
        row.api_key = encryption.encrypt(key, body.api_key, KEY_CONTEXT)
    row.api_base_url = base_url
    if body.rotate_webhook_token or not row.webhook_nonce:
        row.webhook_nonce = secrets.token_urlsafe(24)
    row.updated_at = utcnow()
    await session.flush()
    # Audited and announced without the key (nor its ciphertext, nor the webhook nonce).
    after = _snapshot(row)
    await crud.record(session, ctx, kind=KIND, action="update" if before else "create", row=row,
                      label="Freighttech settings", before=before, after=after, event=after,
                      payload={"apiBaseUrl": base_url, "rotateWebhookToken": body.rotate_webhook_token})
    return row


def _snapshot(row: FreighttechSettings) -> dict[str, Any]:
    return {"apiBaseUrl": row.api_base_url, "apiKeySet": bool(row.api_key)}


# --- the webhook token ----------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str) -> str:
    key = hmac.new(get_settings().secret().encode(), TOKEN_PURPOSE, hashlib.sha256).digest()
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def issue_token(tenant_id: str, org_id: str, nonce: str) -> str:
    """`<base64url JSON {organizationId, tenantId, nonce}>.<base64url HMAC-SHA256 of it>`: names the
    organization deliveries belong to, and only this server can make one."""
    doc = json.dumps({"organizationId": org_id, "tenantId": tenant_id, "nonce": nonce},
                     separators=(",", ":"), sort_keys=True)
    payload = _b64(doc.encode())
    return f"{payload}.{_signature(payload)}"


async def verify_token(session: AsyncSession, token: str) -> tuple[str, str]:
    """The (tenant, organization) a webhook token was issued for; 401 for anything forged, altered,
    revoked (its nonce rotated) or naming an organization that is gone."""
    payload, _, signature = token.partition(".")
    # Constant-time: the answer's timing says nothing about how much of a guessed signature was right.
    if not payload or not signature or not hmac.compare_digest(_signature(payload).encode(), signature.encode()):
        raise Unauthorized("Invalid token")
    try:
        doc = json.loads(_unb64(payload))
    except ValueError:
        raise Unauthorized("Invalid token") from None
    tenant_id, org_id, nonce = (doc.get(k) if isinstance(doc, dict) else None
                                for k in ("tenantId", "organizationId", "nonce"))
    if not (isinstance(tenant_id, str) and isinstance(org_id, str) and isinstance(nonce, str)
            and is_uuid(tenant_id) and is_uuid(org_id)):
        raise Unauthorized("Invalid token")
    row = await load(session, tenant_id, org_id)
    if row is None or not hmac.compare_digest(row.webhook_nonce.encode(), nonce.encode()):
        raise Unauthorized("Invalid token")
    live = (await session.execute(select(Organization.id).where(
        Organization.id == org_id, Organization.tenant_id == tenant_id, Organization.deleted_at.is_(None)))).first()
    if live is None:
        raise Unauthorized("Invalid token")
    return tenant_id, org_id


# --- milestones -----------------------------------------------------------------------------------

UPDATED = ("container_id", "carrier_scac", "bill_of_lading", "status", "occurred_at", "event_type",
           "event_classifier", "description", "location_name", "unlocode", "vessel", "voyage", "planned", "data",
           "received_at")


def _cut(value: str | None, size: int) -> str | None:
    return value[:size] if value else None


async def ingest(session: AsyncSession, tenant_id: str, org_id: str, delivery: Delivery) -> int:
    """Stores (or updates) every milestone of a delivery in one statement and announces the update as
    `fms_tracking.tracking_updated`; returns the number of milestones."""
    container = delivery.payload
    now = utcnow()
    rows = []
    for m in container.milestones:
        event = m.journey_event
        rows.append({
            "id": new_id(), "tenant_id": tenant_id, "organization_id": org_id,
            "reference_id": delivery.reference_id, "milestone_id": m.id,
            "container_id": container.container_id, "carrier_scac": _cut(container.carrier_scac, 20),
            "bill_of_lading": _cut(container.bill_of_lading, 100), "status": _cut(delivery.status, 50),
            "occurred_at": m.timestamp, "event_type": _cut(event.event_type if event else None, 100),
            "event_classifier": _cut(event.event_classifier if event else None, 50),
            "description": m.description, "location_name": _cut(m.location.name if m.location else None, 255),
            "unlocode": _cut(m.location.unlocode if m.location else None, 10),
            "vessel": _cut(m.vessel, 255), "voyage": _cut(m.voyage, 100), "planned": m.planned,
            "data": milestone_data(m), "received_at": now})
    # Milestone ids repeat across deliveries of a reference; within one delivery the last one counts.
    unique = list({r["milestone_id"]: r for r in rows}.values())
    if unique:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = insert(TrackingMilestone).values(unique)
        stmt = stmt.on_conflict_do_update(
            index_elements=["tenant_id", "organization_id", "reference_id", "milestone_id"],
            set_={c: getattr(stmt.excluded, c) for c in UPDATED})
        await session.execute(stmt)
    outbox.emit(session, "fms_tracking.tracking_updated",
                {"deliveryId": delivery.id, "referenceId": delivery.reference_id, "status": delivery.status,
                 "containerId": container.container_id, "carrierScac": container.carrier_scac,
                 "billOfLading": container.bill_of_lading, "milestones": len(unique)},
                tenant_id=tenant_id, organization_id=org_id)
    return len(unique)
