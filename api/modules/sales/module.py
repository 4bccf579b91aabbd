"""Sales: quotes and orders with lines, adjustments and a totals engine, document numbers, quote
conversion, payments and shipments, and the settings collections they refer to (docs/sales.md)."""

from __future__ import annotations

from api.commands import WorkflowCommand, crud_commands
from api.manifest import Module, NavEntry
from api.modules.sales.resources import (
    CHANNELS_MANAGE,
    ORDERS_MANAGE,
    ORDERS_VIEW,
    PAYMENTS_MANAGE,
    QUOTES_MANAGE,
    QUOTES_VIEW,
    RESOURCES,
    SETTINGS_MANAGE,
    SHIPMENTS_MANAGE,
    channels,
    order_lines,
    orders,
    payments,
    quotes,
    shipments,
)
from api.modules.sales.routes import router


def _orders_alias(commands: tuple[WorkflowCommand, ...]) -> tuple[WorkflowCommand, ...]:
    """The shipped workflows name order commands `sales.orders.<action>` (the reference's ids)."""
    return tuple(WorkflowCommand(c.command_id.replace("sales.order.", "sales.orders.", 1), c.features, c.execute,
                                 c.load) for c in commands)


ORDER_COMMANDS = crud_commands(orders, ("create", "update"))

module = Module(
    id="sales",
    title="Sales",
    features={
        CHANNELS_MANAGE: "Manage sales channels",
        ORDERS_VIEW: "View sales orders",
        ORDERS_MANAGE: "Manage sales orders",
        QUOTES_VIEW: "View sales quotes",
        QUOTES_MANAGE: "Manage sales quotes",
        PAYMENTS_MANAGE: "Manage payments",
        SHIPMENTS_MANAGE: "Manage shipments",
        SETTINGS_MANAGE: "Manage sales settings",
    },
    routers=(router,),
    resources=RESOURCES,
    navigation=(
        NavEntry("/backend/sales/orders", "Orders", group_id="sales", group_name="Sales", features=(ORDERS_VIEW,),
                 order=10, group_order=300),
        NavEntry("/backend/sales/quotes", "Quotes", group_id="sales", group_name="Sales", features=(QUOTES_VIEW,),
                 order=20, group_order=300),
    ),
    # UPDATE_ENTITY may create and update documents (the order-approval workflow sets statuses this way).
    commands=(*crud_commands(channels, ("create", "update")), *ORDER_COMMANDS, *_orders_alias(ORDER_COMMANDS),
              *crud_commands(quotes, ("create", "update")), *crud_commands(order_lines, ("create", "update")),
              *crud_commands(payments, ("create",)), *crud_commands(shipments, ("create", "update"))),
    workflows=("sales.order-approval",),
)
