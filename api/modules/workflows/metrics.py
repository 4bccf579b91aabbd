"""Workflow gauges read from the database when `/metrics` is scraped (docs/operations.md): open and overdue user
tasks by queue, open instances by definition and status. Aggregates over every tenant, so each is a handful of
grouped counts on indexed columns, and the number of series stays bounded: the largest queues and definitions
get their own label, the rest are summed as `other`."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import String, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import utcnow
from api.metrics import OTHER
from api.modules.workflows.models import UserTask, WorkflowInstance
from api.settings import get_settings

OPEN_TASKS = ("PENDING", "IN_PROGRESS", "ESCALATED")
# Instances that still hold a place in the engine (a FAILED one waits for retry or cancel).
OPEN_INSTANCES = ("RUNNING", "PAUSED", "FORKED", "WAITING_FOR_ACTIVITIES", "FAILED")


def _queues(roles_json: Any, assigned: bool) -> list[str]:
    """The queues a task waits in: a named person's (`user`, never the person), each of its roles'
    (`role:<name>`), or none (`unassigned`)."""
    if assigned:
        return ["user"]
    roles = json.loads(roles_json) if isinstance(roles_json, str) else roles_json
    names = sorted({str(r) for r in roles}) if isinstance(roles, list) else []
    return [f"role:{name}" for name in names] or ["unassigned"]


def _top(counts: Counter[tuple[str, ...]], key: int) -> Counter[tuple[str, ...]]:
    """`counts` with the label at position `key` kept for its largest values (`metrics_max_label_values` of them)
    and `other` elsewhere."""
    totals: Counter[str] = Counter()
    for labels, n in counts.items():
        totals[labels[key]] += n
    kept = {value for value, _ in totals.most_common(get_settings().metrics_max_label_values)}
    out: Counter[tuple[str, ...]] = Counter()
    for labels, n in counts.items():
        value = labels[key] if labels[key] in kept else OTHER
        out[(*labels[:key], value, *labels[key + 1:])] += n
    return out


async def task_gauges(session: AsyncSession) -> list[Metric]:
    roles = cast(UserTask.assigned_to_roles, String)
    assigned = UserTask.assigned_to.is_not(None)
    overdue = func.sum(case((and_(UserTask.due_date.is_not(None), UserTask.due_date < utcnow()), 1), else_=0))
    rows = (await session.execute(
        select(roles, assigned, UserTask.status, func.count(), overdue)
        .where(UserTask.status.in_(OPEN_TASKS)).group_by(roles, assigned, UserTask.status)
    )).all()
    open_counts: Counter[tuple[str, ...]] = Counter()
    overdue_counts: Counter[tuple[str, ...]] = Counter()
    for role_list, is_assigned, status, n, late in rows:
        for queue in _queues(role_list, bool(is_assigned)):
            open_counts[(queue, status)] += n
            overdue_counts[(queue,)] += int(late or 0)
    open_family = GaugeMetricFamily("stepwise_tasks_open", "Open user tasks by queue (a task offered to several "
                                    "roles counts in each) and status", labels=("queue", "status"))
    for labels, n in sorted(_top(open_counts, 0).items()):
        open_family.add_metric(list(labels), n)
    overdue_family = GaugeMetricFamily("stepwise_tasks_overdue", "Open user tasks past their due date, by queue",
                                       labels=("queue",))
    for labels, n in sorted(_top(overdue_counts, 0).items()):
        overdue_family.add_metric(list(labels), n)
    return [open_family, overdue_family]


async def instance_gauges(session: AsyncSession) -> list[Metric]:
    rows = (await session.execute(
        select(WorkflowInstance.workflow_id, WorkflowInstance.status, func.count())
        .where(WorkflowInstance.status.in_(OPEN_INSTANCES))
        .group_by(WorkflowInstance.workflow_id, WorkflowInstance.status)
    )).all()
    counts: Counter[tuple[str, ...]] = Counter({(workflow_id, status): n for workflow_id, status, n in rows})
    family = GaugeMetricFamily("stepwise_instances_open", "Workflow instances not finished yet, by definition "
                               "(workflowId) and status", labels=("definition", "status"))
    for labels, n in sorted(_top(counts, 0).items()):
        family.add_metric(list(labels), n)
    return [family]
