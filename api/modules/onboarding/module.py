"""Onboarding: public self sign-up that provisions a tenant once its e-mail is confirmed."""

from __future__ import annotations

from api.manifest import Module
from api.modules.onboarding.routes import router

module = Module(id="onboarding", title="Onboarding", routers=(router,))
