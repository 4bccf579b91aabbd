"""Feature Toggles: global toggles with typed defaults, per-tenant overrides, and their resolution."""

from __future__ import annotations

from api.manifest import Module, NavEntry
from api.modules.feature_toggles.resources import MANAGE, overrides, toggles
from api.modules.feature_toggles.routes import router

module = Module(
    id="feature_toggles",
    title="Feature Toggles",
    features={MANAGE: "Manage global feature toggles and tenant overrides (super administrators)"},
    routers=(router,),
    resources=(toggles, overrides),
    navigation=(NavEntry("/backend/feature-toggles/global", "Feature toggles", group_id="settings",
                         group_name="Settings", features=(MANAGE,), order=50, group_order=900),),
)
