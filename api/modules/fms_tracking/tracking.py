"""Registering bookings and containers with Freighttech, so that it starts pushing their milestones to the
organization's webhook (docs/freighttech.md, "Registering what to track").

A request is recorded first (`fms_tracking_references`, one per carrier and booking or container number,
`pending`), then a Temporal workflow makes the call from the worker: `POST <apiBaseUrl>/v1/references` with
the organization's API key and the webhook address Freighttech is to call back. Freighttech being down or
slow is retried with backoff by the activity's retry policy; an answer refusing the request (4xx) is final.
Either way the row ends `registered` (with Freighttech's reference id) or `failed` (with why), and the
outcome is announced as `fms_tracking.reference.registered|failed`. Nothing of this runs inside the API
request or the outbox line: a slow Freighttech never holds either up.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from api import outbox, temporal
from api.db import new_id, sessionmaker, utcnow
from api.errors import BadRequest
from api.modules.fms_tracking import service
from api.modules.fms_tracking.models import TrackingReference
from api.modules.fms_tracking.workflow import MAX_ATTEMPTS, REGISTER, RegisterTrackingWorkflow
from api.outbox import DomainEvent

CALL_TIMEOUT = 10.0


def reference_key(carrier_code: str, booking_number: str | None, container_id: str | None) -> str:
    return f"{carrier_code.upper()}|{(booking_number or '').upper()}|{(container_id or '').upper()}"


async def request_tracking(session: AsyncSession, *, tenant_id: str, org_id: str, carrier_code: str | None,
                           booking_number: str | None = None, container_id: str | None = None,
                           shipment_id: str | None = None) -> TrackingReference:
    """The organization's tracking request for this carrier and booking or container, recorded `pending`
    unless it exists already; a failed one is asked again. Refuses (400) a request naming no carrier, or
    neither a booking nor a container."""
    carrier = (carrier_code or "").strip()
    booking, container = (booking_number or "").strip() or None, (container_id or "").strip() or None
    problems = []
    if not carrier:
        problems.append({"path": ["carrierCode"], "message": "Required"})
    if not booking and not container:
        problems.append({"path": ["bookingNumber"], "message": "Give a booking number or a container id"})
    if problems:
        raise BadRequest("Invalid input", problems)
    key = reference_key(carrier, booking, container)
    row = (await session.execute(select(TrackingReference).where(
        TrackingReference.tenant_id == tenant_id, TrackingReference.organization_id == org_id,
        TrackingReference.key == key))).scalars().first()
    if row is None:
        row = TrackingReference(id=new_id(), tenant_id=tenant_id, organization_id=org_id, key=key,
                                carrier_code=carrier, booking_number=booking, container_id=container,
                                shipment_id=shipment_id, status="pending", attempts=0)
        session.add(row)
    elif row.status == "failed":
        row.status, row.message, row.updated_at = "pending", None, utcnow()
    await session.flush()
    return row


async def start_registration(row: TrackingReference) -> None:
    """Starts the registration of a pending request (after its transaction committed); one at a time per
    request, so a request saved twice while its call is under way is registered once."""
    if row.status != "pending":
        return
    client = await temporal.get_client()
    try:
        await client.start_workflow(RegisterTrackingWorkflow.run, row.id, id=f"fms-tracking-register-{row.id}",
                                    task_queue=temporal.task_queue())
    except WorkflowAlreadyStartedError:
        pass


async def track_shipment(event: DomainEvent) -> None:
    """A shipment saved with a booking number and a carrier is tracked by booking, when its organization
    has set Freighttech up (as the reference registers a shipment's booking when it is saved)."""
    payload = event.payload
    booking, carrier = payload.get("bookingNumber"), payload.get("carrier")
    tenant_id, org_id = event.tenant_id, event.organization_id or payload.get("organizationId")
    if not (isinstance(booking, str) and booking.strip() and isinstance(carrier, str) and carrier.strip()
            and tenant_id and isinstance(org_id, str)):
        return
    async with sessionmaker()() as session:
        settings = await service.load(session, tenant_id, org_id)
        if settings is None or not settings.api_key or not settings.api_base_url:
            return
        row = await request_tracking(session, tenant_id=tenant_id, org_id=org_id, carrier_code=carrier,
                                     booking_number=booking, shipment_id=payload.get("id"))
        await session.commit()
    await start_registration(row)


def _reason(answer: httpx.Response) -> str:
    try:
        body: Any = answer.json()
    except ValueError:
        body = None
    detail = body.get("message") or body.get("error") if isinstance(body, dict) else None
    return f"Freighttech answered {answer.status_code}" + (f": {str(detail)[:500]}" if detail else "")


async def register(session: AsyncSession, row: TrackingReference, *, last_try: bool) -> None:
    """Asks Freighttech to track `row` and records the outcome. A failure worth retrying (Freighttech
    unreachable, slow or failing on its side) raises, unless this is the last try, which records it."""
    row.attempts += 1
    settings = await service.load(session, str(row.tenant_id), str(row.organization_id))
    credentials = await service.credentials(session, settings) if settings is not None else None
    if settings is None or credentials is None:
        _finish(session, row, "failed", message="Freighttech is not set up for this organization")
        return
    api_key, base_url = credentials
    body = {"carrier_code": row.carrier_code, "booking_number": row.booking_number,
            "container_id": row.container_id, "callback_url": service.webhook_url(settings)}
    try:
        async with httpx.AsyncClient(timeout=CALL_TIMEOUT) as client:
            answer = await client.post(f"{base_url}/v1/references", json=body,
                                       headers={"X-Api-Key": api_key, "Content-Type": "application/json"})
    except httpx.HTTPError as exc:
        if not last_try:
            raise
        _finish(session, row, "failed", message=f"Freighttech could not be reached: {exc!r}"[:1000])
        return
    if answer.is_success:
        try:
            reference = answer.json().get("reference") or {}
        except (ValueError, AttributeError):
            reference = {}
        _finish(session, row, "registered", reference_id=str(reference.get("id") or "") or None)
    elif (answer.status_code >= 500 or answer.status_code == 429) and not last_try:
        raise ApplicationError(_reason(answer))
    else:
        _finish(session, row, "failed", message=_reason(answer))


def _finish(session: AsyncSession, row: TrackingReference, status: str, *, message: str | None = None,
            reference_id: str | None = None) -> None:
    row.status, row.message, row.updated_at = status, message, utcnow()
    if reference_id is not None:
        row.reference_id = reference_id
    outbox.emit(session, f"fms_tracking.reference.{status}",
                {"id": row.id, "carrierCode": row.carrier_code, "bookingNumber": row.booking_number,
                 "containerId": row.container_id, "shipmentId": row.shipment_id, "referenceId": row.reference_id,
                 "message": message}, tenant_id=row.tenant_id, organization_id=row.organization_id)


@activity.defn(name=REGISTER)
async def register_reference(row_id: str) -> str:
    async with sessionmaker()() as session:
        row = await session.get(TrackingReference, row_id)
        if row is None or row.status != "pending":
            return row.status if row is not None else "gone"
        try:
            await register(session, row, last_try=activity.info().attempt >= MAX_ATTEMPTS)
        finally:
            # The attempt is counted (and an outcome stored) whether or not this try is retried.
            await session.commit()
        return row.status


ACTIVITIES = (register_reference,)
