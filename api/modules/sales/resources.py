"""Sales channels: where products are offered (catalog offers and channel prices point at them)."""

from __future__ import annotations

from sqlalchemy import select

from api.crud import Features, Fields, Filter, Hooks, Resource, Sort, Write
from api.errors import Conflict
from api.modules.sales.models import SalesChannel
from api.modules.sales.schemas import ChannelCreate, ChannelUpdate

CHANNELS_MANAGE = "sales.channels.manage"


async def _code_free(write: Write) -> None:
    """A channel's code is unique among the organization's live channels (a code names it in imports)."""
    code = write.values.get("code")
    if not code:
        return
    row = write.row
    taken = (await write.session.execute(select(SalesChannel.id).where(
        SalesChannel.tenant_id == row.tenant_id, SalesChannel.organization_id == row.organization_id,
        SalesChannel.code == code, SalesChannel.deleted_at.is_(None), SalesChannel.id != row.id))).first()
    if taken is not None:
        raise Conflict("Sales channel code already exists")


channels = Resource(
    path="/sales/channels",
    model=SalesChannel,
    entity="sales.channel",
    create_schema=ChannelCreate,
    update_schema=ChannelUpdate,
    features=Features.view_manage(CHANNELS_MANAGE, CHANNELS_MANAGE),
    tag="Sales",
    label="Sales channel",
    descriptions={"list": "Manage sales channels to segment orders and pricing across marketplaces or stores."},
    search=(SalesChannel.name, SalesChannel.code),
    sort=Sort((SalesChannel.name, SalesChannel.code, SalesChannel.created_at, SalesChannel.updated_at),
              default=SalesChannel.name),
    filters={"isActive": Filter.eq(SalesChannel.is_active, "Active or not")},
    fields=Fields("id", "name", "code", "description", "status_entry_id", "is_active", "organization_id",
                  "tenant_id", "created_at", "updated_at"),
    hooks=Hooks(before_create=_code_free, before_update=_code_free),
)
