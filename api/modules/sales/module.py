"""Sales. For now only the channels catalog offers and channel prices need; orders, quotes and the
rest of the module come later in this package."""

from __future__ import annotations

from api.commands import crud_commands
from api.manifest import Module
from api.modules.sales.resources import CHANNELS_MANAGE, channels

module = Module(
    id="sales",
    title="Sales",
    features={CHANNELS_MANAGE: "Manage sales channels"},
    resources=(channels,),
    commands=crud_commands(channels, ("create", "update")),
)
