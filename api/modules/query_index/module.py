"""Query Index: the documents, token hashes and full-text entries of every searchable record, kept current
from domain events, rebuilt and purged by index jobs that run as Temporal workflows."""

from __future__ import annotations

from api.manifest import Module, NavEntry
from api.modules.query_index.activities import ACTIVITIES
from api.modules.query_index.events import index_on_event
from api.modules.query_index.routes import PURGE, REINDEX, STATUS_VIEW, router
from api.modules.query_index.workflow import IndexJobWorkflow

module = Module(
    id="query_index",
    title="Query Index",
    features={
        STATUS_VIEW: "View query index status",
        REINDEX: "Rebuild the query index",
        PURGE: "Purge the query index",
    },
    routers=(router,),
    navigation=(NavEntry("/backend/query-indexes", "Query Indexes", group_id="settings", group_name="Settings",
                         features=(STATUS_VIEW,), order=60, group_order=900),),
    subscribers=(("*", index_on_event),),
    temporal_workflows=(IndexJobWorkflow,),
    activities=ACTIVITIES,
)
