"""The CRM: people and companies (one customer table, a profile per kind), deals, the timeline
(activities, comments), addresses, tags, per-kind dictionaries, todo links and four dashboard widgets.
See docs/customers.md."""

from __future__ import annotations

from api.commands import crud_commands
from api.crud.tags import tag_assignment_router
from api.manifest import Module, NavEntry, Searchable, Widget
from api.modules.customers.models import Company as CompanyRow
from api.modules.customers.models import Deal, Person
from api.modules.customers.resources import (
    TAG_ENTITY,
    activities,
    addresses,
    comments,
    companies,
    customers,
    deals,
    dictionary_entries,
    people,
    tags,
    todo_links,
)
from api.modules.customers.routes import router


def _widget(key: str, title: str, feature: str, description: str, icon: str) -> Widget:
    return Widget(f"customers.dashboard.{key}", title, ("dashboards.view", feature), description=description,
                  default_settings={"pageSize": 5}, icon=icon, supports_refresh=True)


module = Module(
    id="customers",
    title="Customers",
    features={
        "customers.people.view": "View people",
        "customers.people.manage": "Manage people",
        "customers.companies.view": "View companies",
        "customers.companies.manage": "Manage companies",
        "customers.deals.view": "View deals",
        "customers.deals.manage": "Manage deals",
        "customers.activities.view": "View activities, comments, addresses, tags and todo links",
        "customers.activities.manage": "Manage activities, comments, addresses, tags and todo links",
        "customers.settings.manage": "Manage customer dictionaries and settings",
        "customers.widgets.todos": "Dashboard widget: customer todos",
        "customers.widgets.new-customers": "Dashboard widget: new customers",
        "customers.widgets.new-deals": "Dashboard widget: new deals",
        "customers.widgets.next-interactions": "Dashboard widget: next interactions",
    },
    resources=(people, companies, deals, activities, comments, addresses, tags, todo_links, dictionary_entries),
    routers=(router, tag_assignment_router(path="/customers/tags", tags=tags, target=customers,
                                           entity_type=TAG_ENTITY, feature="customers.activities.manage")),
    navigation=tuple(
        NavEntry(f"/backend/customers/{path}", title, features=(feature,), order=order, group_id="customers",
                 group_name="Customers", group_order=200)
        for path, title, feature, order in (("people", "People", "customers.people.view", 10),
                                            ("companies", "Companies", "customers.companies.view", 20),
                                            ("deals", "Deals", "customers.deals.view", 30))),
    # Workflows may create and update customers and deals through UPDATE_ENTITY.
    commands=(*crud_commands(people, ("create", "update")), *crud_commands(companies, ("create", "update")),
              *crud_commands(deals, ("create", "update"))),
    widgets=(
        _widget("customer-todos", "Customer todos", "customers.widgets.todos",
                "The latest todos linked to customers.", "check-square"),
        _widget("new-customers", "New customers", "customers.widgets.new-customers",
                "People and companies created most recently.", "user-plus"),
        _widget("new-deals", "New deals", "customers.widgets.new-deals", "Deals created most recently.", "briefcase"),
        _widget("next-interactions", "Next interactions", "customers.widgets.next-interactions",
                "Customers with the soonest planned interaction.", "calendar"),
    ),
    search=(
        Searchable("customers.person", Person, fields=("display_name", "primary_email", "description"),
                   title="display_name", subtitle="primary_email", url="/backend/customers/people/{id}",
                   label="Person", sensitive=("primary_phone",)),
        Searchable("customers.company", CompanyRow, fields=("display_name", "primary_email", "description"),
                   title="display_name", subtitle="primary_email", url="/backend/customers/companies/{id}",
                   label="Company", sensitive=("primary_phone",)),
        Searchable("customers.deal", Deal, fields=("title", "description"), title="title", subtitle="status",
                   url="/backend/customers/deals/{id}", label="Deal"),
    ),
)
