"""Records of custom entities: one collection for every entity type, chosen by `entityId`. The kit
serves the list (paging, sort, `<key>`/`cf_<key>` filters, export); writes have the reference's own
shapes (`{entityId, recordId, values}`), so routes.py serves them with the kit's service."""

from __future__ import annotations

from typing import Any

from api.crud import CustomFields, Dialect, Features, Fields, Filter, Hooks, Resource, Sort, Write
from api.modules.entities.models import CustomEntityRecord as Record

VIEW, MANAGE = "entities.records.view", "entities.records.manage"


async def _take_record_id(write: Write) -> None:
    # POST may name the new record's id (a UUID); the kit generated one otherwise.
    wanted = write.body.get("recordId") if isinstance(write.body, dict) else None
    if wanted:
        write.row.id = wanted


def _updated(row: Any) -> Any:
    return row.updated_at


records = Resource(
    path="/entities/records",
    model=Record,
    entity="entities.record",
    create_schema=None,
    update_schema=None,
    operations=frozenset({"list"}),
    features=Features(VIEW, MANAGE, MANAGE, MANAGE),
    tag="Entities",
    label="Record",
    descriptions={"list": "Returns paginated records of the custom entity `entityId`, values by their plain keys. "
                          "Filter by `<key>=value` or `cf_<key>=value` (comma-separated values: any of), sort by "
                          "`sortField=<key>`, export with `format`."},
    sort=Sort((Record.created_at, Record.updated_at)),
    filters={"entityId": Filter.eq(Record.entity_id, "Entity id of the records (required)")},
    dialect=Dialect(),
    fields=Fields("id", "created_at", "updated_at", "deleted_at", casing="snake", computed={"updatedAt": _updated}),
    custom_fields=CustomFields(entity_column=Record.entity_id, param="entityId", prefix=""),
    hooks=Hooks(before_create=_take_record_id),
    lock=True,
)
