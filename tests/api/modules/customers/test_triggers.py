"""A person created through the API announces `customers.person.created`; a workflow whose trigger names
that event starts, with the person in its context (delivered as the worker's outbox dispatcher does)."""

from __future__ import annotations

import pytest

from tests.api.modules.workflows.builders import minimal
from tests.api.modules.workflows.test_triggers import define, dispatch, instances, poll, trigger, triggered
from tests.fixtures import World

pytestmark = pytest.mark.usefixtures("engine")


async def test_a_created_person_starts_the_triggered_workflow(world: World) -> None:
    me = await world.user(["workflows.*", "customers.*"])
    payload = triggered(minimal("-crm"), trigger("on-person", "customers.person.created", config={
        "filterConditions": [{"field": "status", "operator": "eq", "value": "lead"}],
        "contextMapping": [{"targetKey": "customerName", "sourceExpression": "display_name"}]}))
    wid = (await define(me, payload))["workflowId"]
    r = await me.post("/api/customers/people", json={"firstName": "Ada", "lastName": "Lovelace", "status": "lead"})
    assert r.status_code == 201, r.text
    person = r.json()["id"]
    r = await me.post("/api/customers/people", json={"firstName": "Not", "lastName": "Lead", "status": "active"})
    assert r.status_code == 201
    await dispatch(me.tenant_id)
    found = await instances(me, wid)
    assert len(found) == 1
    done = await poll(me, found[0]["id"], "COMPLETED")
    assert done["context"]["id"] == person and done["context"]["customerName"] == "Ada Lovelace"
    assert done["metadata"]["entityId"] == person
