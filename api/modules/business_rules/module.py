"""Business Rules: rules in either condition dialect, rule sets, execution, logs, rules on events."""

from __future__ import annotations

from api import audit
from api.caches import CacheSegment
from api.manifest import Module, Searchable, Widget
from api.modules.business_rules import events
from api.modules.business_rules.models import BusinessRule, RuleSetMember
from api.modules.business_rules.resources import EXECUTE, MANAGE, MANAGE_SETS, VIEW, VIEW_LOGS, rule_sets, rules
from api.modules.business_rules.routes import MEMBER_KIND, router
from api.modules.business_rules.serializers import member_snapshot
from api.modules.business_rules.service import MAIL_EVENT, RULE_CACHE

module = Module(
    id="business_rules",
    title="Business Rules",
    features={
        VIEW: "View business rules and rule sets",
        MANAGE: "Create, edit and delete business rules",
        MANAGE_SETS: "Create, edit and delete rule sets and their members",
        VIEW_LOGS: "View rule execution logs",
        EXECUTE: "Execute business rules",
    },
    routers=(router,),
    resources=(rules, rule_sets),
    caches=(CacheSegment("business_rules.compiled", "Compiled rule conditions", size=lambda: len(RULE_CACHE),
                         clear=RULE_CACHE.clear,
                         stats=lambda: {"hits": RULE_CACHE.hits, "misses": RULE_CACHE.misses}),),
    subscribers=(("*", events.run_rules_on_event), (MAIL_EVENT, events.send_requested_mail)),
    # Reads `GET /api/business_rules/logs` (newest first).
    widgets=(Widget("business_rules.dashboard.recent-executions", "Recent rule executions",
                    ("dashboards.view", VIEW_LOGS),
                    description="The latest business rule executions with their result and timing.",
                    default_settings={"pageSize": 10}, icon="activity", supports_refresh=True),),
    undoable={MEMBER_KIND: audit.Undoable(RuleSetMember, serialize=member_snapshot, features={
        "create": MANAGE_SETS, "update": MANAGE_SETS, "delete": MANAGE_SETS})},
    search=(Searchable("business_rules.rule", BusinessRule,
                       fields=("rule_id", "rule_name", "description", "entity_type", "event_type"),
                       title="rule_name", subtitle="rule_id", url="/backend/rules/{id}", label="Business rule"),),
)
