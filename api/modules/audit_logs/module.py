"""Audit & Action Logs: every write's before/after snapshots, access logs, undo and redo."""

from __future__ import annotations

from api.manifest import Module, NavEntry
from api.modules.audit_logs import service
from api.modules.audit_logs.routes import router

module = Module(
    id="audit_logs",
    title="Audit & Action Logs",
    features={
        "audit_logs.view_self": "View own audit logs",
        service.VIEW_TENANT: "View audit logs of the whole tenant",
        "audit_logs.undo_self": "Undo own actions",
        "audit_logs.redo_self": "Redo own actions",
    },
    routers=(router,),
    navigation=(NavEntry("/backend/audit-logs", "Audit Logs", group_id="audit_logs", group_name="Audit Logs",
                         features=("audit_logs.view_self",), order=10, group_order=900),),
)
