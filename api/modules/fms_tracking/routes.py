"""Freighttech settings and the webhook Freighttech posts container milestones to. (No `from __future__
import annotations`: FastAPI must see the dependencies' real types.)"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.auth import AuthContext, requires, resolve
from api.crud import service as crud
from api.crud.answers import item, json_answer, shape
from api.crud.routes import read_json, validate_model, written
from api.deps import SessionDep
from api.errors import ApiError, BadRequest, Forbidden, Unauthorized
from api.modules.fms_tracking import service, tracking
from api.modules.fms_tracking.resources import SETTINGS_MANAGE, SETTINGS_VIEW, TRACKING_MANAGE, WEBHOOK, references
from api.modules.fms_tracking.schemas import Delivery, SettingsBody, TrackRequest

router = APIRouter(tags=["Freighttech"])
Viewer = Annotated[AuthContext, Depends(requires(SETTINGS_VIEW))]
Manager = Annotated[AuthContext, Depends(requires(SETTINGS_MANAGE))]

SETTINGS = shape("webhookUrl", "webhookToken", apiKey="string", apiBaseUrl="string", webhookUrl="string?",
                 webhookToken="string?")


@router.get("/fms_tracking/settings/freighttech", summary="Get tracking settings",
            description="Freighttech tracking API settings of the caller's organization: the API key masked (its "
                        "last four characters), the base URL, and for callers who may manage them the webhook "
                        "address to give Freighttech (`webhookUrl`, carrying its signed token). Empty strings "
                        f"before anything is saved. Requires features: {SETTINGS_VIEW}",
            responses=json_answer(SETTINGS))
async def get_settings_(session: SessionDep, ctx: Viewer) -> dict[str, Any]:
    row = await service.load(session, ctx.require_tenant(), ctx.require_org())
    return await service.answer(session, ctx, row)


@router.put("/fms_tracking/settings/freighttech", summary="Upsert settings",
            description="Creates or replaces the organization's Freighttech settings `{apiKey, apiBaseUrl}` (an "
                        "http(s) URL). The key is stored encrypted and answered masked; sending back the masked "
                        "value keeps the stored key. `rotateWebhookToken: true` issues a new webhook token "
                        f"(the old one stops working). Requires features: {SETTINGS_MANAGE}",
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object", "required": ["apiKey", "apiBaseUrl"], "properties": {
                    "apiKey": {"type": "string", "minLength": 1, "maxLength": 100},
                    "apiBaseUrl": {"type": "string", "minLength": 1, "maxLength": 100},
                    "rotateWebhookToken": {"type": "boolean"}}},
                "example": {"apiKey": "ft_live_0123456789", "apiBaseUrl": "https://api.freighttech.example"}}}}},
            responses=json_answer(SETTINGS))
async def put_settings(request: Request, session: SessionDep, ctx: Manager) -> dict[str, Any]:
    body = validate_model(SettingsBody, await read_json(request))
    assert isinstance(body, SettingsBody)
    row = await service.save(session, ctx, body)
    return await service.answer(session, ctx, row)


@router.post("/fms_tracking/webhook/freighttech", summary="Push container data",
             description="Freighttech's callback: a container's reference, status and milestones, stored per "
                         "organization (a milestone delivered again is updated in place) and announced as "
                         "`fms_tracking.tracking_updated`. Authenticated by `token`, the signed organization token "
                         "the settings answer in `webhookUrl` (a forged, altered or rotated token is a 401); a "
                         "signed-in caller or API key may instead push to its own organization without a token. "
                         f"Requires features: {WEBHOOK} (callers without a token)",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object", "required": ["id", "reference_id", "status", "payload"]},
                 "example": {"id": "upd_1", "reference_id": "ref_1", "parent_reference_id": None,
                             "status": "in_transit", "organization_id": "ft_org",
                             "payload": {"reference_id": "ref_1", "bill_of_lading": None, "carrier_scac": "MAEU",
                                         "container_id": "MSKU1234565", "container_iso": "45G1", "milestones": [
                                             {"id": "m1", "timestamp": "2026-01-10T08:00:00Z",
                                              "description": "Gate in", "planned": False,
                                              "location": {"name": "Gdansk", "unlocode": "PLGDN"},
                                              "journey_event": {"event_type": "GATE_IN"}}]},
                             "created_at": "2026-01-10T08:05:00Z", "updated_at": "2026-01-10T08:05:00Z"}}}}},
             responses=json_answer(shape(ok="true", milestones="integer")))
async def webhook(request: Request, session: SessionDep,
                  token: Annotated[str | None, Query(max_length=2000,
                                                     description="The organization's signed webhook token")] = None
                  ) -> dict[str, Any]:
    if token is not None:
        tenant_id, org_id = await service.verify_token(session, token)
    else:
        # No token: a caller of our own (a user or an API key) holding the webhook feature, for its organization.
        ctx = await resolve(request, session)
        if ctx is None:
            raise Unauthorized("Missing token")
        if not ctx.can(WEBHOOK):
            raise Forbidden("Forbidden", extra={"requiredFeatures": [WEBHOOK]})
        tenant_id, org_id = ctx.require_tenant(), ctx.require_org()
    delivery = validate_model(Delivery, await read_json(request))
    assert isinstance(delivery, Delivery)
    count = await service.ingest(session, tenant_id, org_id, delivery)
    return {"ok": True, "milestones": count}


Tracker = Annotated[AuthContext, Depends(requires(TRACKING_MANAGE))]


class Unavailable(ApiError):
    status = 503


@router.post("/fms_tracking/references", status_code=202, summary="Track a booking or container",
             description="Asks Freighttech to track a carrier's booking or container (`carrierCode`, and "
                         "`bookingNumber` or `containerId`) and push its milestones to this organization's webhook. "
                         "Answers the request at once (`status: pending`, 202); the worker makes the call, retried "
                         "while Freighttech cannot answer, and the request ends `registered` or `failed` (see the "
                         "list). The same booking or container asked again answers the existing request (a failed "
                         "one is tried again). 400 until Freighttech is set up. "
                         f"Requires features: {TRACKING_MANAGE}",
             responses=json_answer(item(references), 202))
async def track(body: TrackRequest, session: SessionDep, ctx: Tracker) -> Any:
    tenant_id, org_id = ctx.require_tenant(), ctx.require_org()
    settings = await service.load(session, tenant_id, org_id)
    if settings is None or await service.credentials(session, settings) is None:
        raise BadRequest("Freighttech is not set up: save its API key and base URL first")
    row = await tracking.request_tracking(session, tenant_id=tenant_id, org_id=org_id,
                                          carrier_code=body.carrier_code, booking_number=body.booking_number,
                                          container_id=body.container_id)
    answer = crud.serialize(references, row)
    # The worker must find the request, so it is committed before the workflow exists. Should Temporal be
    # unreachable, the request stays pending and asking again starts it.
    await session.commit()
    try:
        await tracking.start_registration(row)
    except Exception as exc:  # noqa: BLE001 - any failure to reach Temporal is the same answer
        raise Unavailable("The registration could not be started; ask again shortly") from exc
    return written(answer, None, 202)
