"""Public self sign-up: submit the form (a confirmation link is mailed), then follow the link."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from api.crud.answers import json_answer, shape
from api.crud.routes import read_json
from api.deps import SessionDep
from api.errors import ApiError, BadRequest
from api.mail import send_mail
from api.modules.auth.login import set_auth_cookie
from api.modules.onboarding import service
from api.ratelimit import SlidingWindow, begin
from api.security import issue_token
from api.settings import get_settings

router = APIRouter(tags=["Onboarding"])
# Sign-ups mail a stranger's address and verification provisions a tenant: both are throttled per
# address (and sign-ups per e-mail) with the login limits, on counters of their own.
signup_throttle = SlidingWindow()
verify_throttle = SlidingWindow()

FIELD_ERRORS = {
    "email": "Enter a valid work email.",
    "firstName": "First name is required.",
    "lastName": "Last name is required.",
    "organizationName": "Organization name is required.",
    "password": "Password must be at least 6 characters.",
    "confirmPassword": "Passwords must match.",
    "termsAccepted": "Please accept the terms to continue.",
}


class SignUpForm(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, str_strip_whitespace=True)

    email: EmailStr
    first_name: str = Field(min_length=1, max_length=120)
    last_name: str = Field(min_length=1, max_length=120)
    organization_name: str = Field(min_length=1, max_length=240)
    password: str = Field(min_length=6, max_length=120)
    confirm_password: str = Field(min_length=6, max_length=120)
    terms_accepted: bool
    locale: str | None = Field(default=None, min_length=2, max_length=10)

    @model_validator(mode="after")
    def _agreed(self) -> SignUpForm:
        if self.terms_accepted is not True:
            raise ValueError("termsAccepted")
        if self.password != self.confirm_password:
            raise ValueError("confirmPassword")
        return self


def _form_errors(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        name = loc[0] if loc else str(err.get("ctx", {}).get("error", ""))
        if not loc:
            name = str(err.get("msg", "")).removeprefix("Value error, ")
        key = to_camel(name) if "_" in name else name
        if key in FIELD_ERRORS:
            out[key] = FIELD_ERRORS[key]
    return out


@router.post("/onboarding/onboarding", status_code=201, summary="Self-service onboarding submission",
             description="Public. Stores the sign-up with the hash of a one-time token and mails the confirmation "
                         "link (valid 24 hours): `{ok: true, email}`. 400 `{ok: false, error, fieldErrors}` for an "
                         "invalid form, 409 when the address has an account or a request mailed in the last 10 "
                         "minutes, 429 when throttled.",
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}, "example": {
                 "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace",
                 "organizationName": "Analytical Engines", "password": "secret-pass", "confirmPassword": "secret-pass",
                 "termsAccepted": True}}}}},
             responses=json_answer(shape(ok="true", email="string"), 201))
async def sign_up(request: Request, session: SessionDep) -> JSONResponse:
    raw: Any = await read_json(request)
    email = str(raw["email"]) if isinstance(raw, dict) and isinstance(raw.get("email"), str) else ""
    begin(signup_throttle, request, email, scope="onboarding")
    try:
        form = SignUpForm.model_validate(raw)
    except ValidationError as exc:
        raise BadRequest("Please check the form and try again.",
                         extra={"ok": False, "fieldErrors": _form_errors(exc)}) from None
    onboarding, token = await service.start(session, service.SignUp(
        email=str(form.email), first_name=form.first_name, last_name=form.last_name,
        organization_name=form.organization_name, password=form.password, locale=form.locale))
    link = f"{get_settings().app_url.rstrip('/')}/api/onboarding/onboarding/verify?token={token}"
    await send_mail(onboarding.email, "Confirm your email to finish onboarding",
                    f"Hi {onboarding.first_name},\n\nWe just need to confirm your email address to finish setting up "
                    f"the organization {onboarding.organization_name}:\n\n{link}\n\nThe link expires in 24 hours and "
                    "works once. If you did not request this, ignore this message.\n")
    return JSONResponse({"ok": True, "email": onboarding.email}, status_code=201)


def _back(status: str) -> RedirectResponse:
    return RedirectResponse(f"{get_settings().app_url.rstrip('/')}/onboarding?status={status}", status_code=302)


@router.get("/onboarding/onboarding/verify", summary="Onboarding verification redirect",
            description="Public. Confirms the mailed token once: provisions the tenant, its organization and the "
                        "administrator (with the default dictionaries), signs them in (`auth_token` cookie) and "
                        "redirects to `/backend`; otherwise redirects to `/onboarding?status=invalid` (unknown, "
                        "used or expired token) or `already_exists`.",
            status_code=302, response_class=RedirectResponse,
            responses={302: {"description": "Redirect to `/backend` or back to `/onboarding?status=...`"}},
            openapi_extra={"parameters": [{"name": "token", "in": "query", "required": True,
                                           "schema": {"type": "string"}}]})
async def verify(request: Request, session: SessionDep) -> RedirectResponse:
    token = request.query_params.get("token") or ""
    # Guessing tokens is throttled per client address (the account key is the token tried).
    begin(verify_throttle, request, token[:64], scope="onboarding-verify")
    if len(token) < 32:
        return _back("invalid")
    onboarding = await service.pending(session, token)
    if onboarding is None:
        return _back("invalid")
    try:
        user = await service.provision(session, onboarding)
    except ApiError:
        return _back("already_exists")
    response = RedirectResponse(f"{get_settings().app_url.rstrip('/')}/backend", status_code=302)
    set_auth_cookie(response, issue_token(user_id=user.id, tenant_id=user.tenant_id, org_id=user.organization_id,
                                          email=user.email, roles=["admin"]))
    return response
