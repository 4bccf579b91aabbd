"""Booking: teams, members and resources with recurring availability (RFC 5545), services, events and
attendees, iCalendar feeds and imports, and a workflow function that waits for the next free window."""

from __future__ import annotations

from api.caches import CacheSegment
from api.commands import crud_commands
from api.manifest import Module, NavEntry, Searchable
from api.modules.booking import availability
from api.modules.booking.models import BookableResource, TeamMember
from api.modules.booking.resources import ALL, attendees, events, resources, services, team_members, teams
from api.modules.booking.routes import router
from api.modules.booking.workflow import FUNCTION, next_available_window


def _nav(href: str, title: str, order: int) -> NavEntry:
    return NavEntry(href, title, group_id="booking", group_name="Booking", features=("booking.view",), order=order,
                    group_order=300)


module = Module(
    id="booking",
    title="Booking",
    features={
        "booking.view": "View teams, resources, services, availability and events",
        "booking.manage_team": "Manage teams, team roles and team members",
        "booking.manage_resources": "Manage resource types, resources and resource tags",
        "booking.manage_availability": "Manage availability rules and rule sets",
        "booking.manage_events": "Manage events and attendees",
    },
    resources=ALL,
    routers=(router,),
    # Workflows wait for a resource's next free window with EXECUTE_FUNCTION `booking.next_available_window`.
    functions={FUNCTION: next_available_window},
    navigation=(_nav("/backend/booking/teams", "Teams", 10), _nav("/backend/booking/team-members", "Team members", 20),
                _nav("/backend/booking/resources", "Resources", 30),
                _nav("/backend/booking/services", "Services", 40),
                _nav("/backend/booking/availability-rulesets", "Availability", 50),
                _nav("/backend/booking/attendees", "Attendees", 60)),
    # Workflows book: they create events (no HTTP route in the reference), services, members, resources.
    commands=(*crud_commands(events, ("create", "update")), *crud_commands(services, ("create", "update")),
              *crud_commands(attendees, ("create", "update")), *crud_commands(resources, ("create", "update")),
              *crud_commands(team_members, ("create", "update")), *crud_commands(teams, ("create", "update"))),
    search=(Searchable("booking.resource", BookableResource, fields=("name", "description"), title="name",
                       url="/backend/booking/resources/{id}", label="Resource"),
            Searchable("booking.team_member", TeamMember, fields=("display_name", "description"),
                       title="display_name", url="/backend/booking/team-members/{id}", label="Team member")),
    caches=(CacheSegment("booking.rules", "Parsed availability rules",
                         size=lambda: availability.parse.cache_info().currsize, clear=availability.parse.cache_clear,
                         stats=lambda: {"hits": availability.parse.cache_info().hits,
                                        "misses": availability.parse.cache_info().misses}),),
)
