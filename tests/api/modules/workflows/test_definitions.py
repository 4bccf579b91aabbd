"""`/api/workflows/definitions`: envelopes, validation, 409s, optimistic locking, code-defined workflows,
customize / reset-to-code, features and tenancy (docs/workflows.md, "Uploading and validating")."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from api.db import sessionmaker
from api.modules.audit_logs.models import ActionLog
from api.modules.workflows.models import WorkflowDefinition, WorkflowInstance
from api.outbox_models import OutboxEvent
from definitions import code_workflow_uuid
from tests.api.modules.workflows.builders import DEFINITIONS, LOCK, minimal, step, transition, ts, with_steps
from tests.fixtures import Caller, World

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SIMPLE = "workflows.simple-approval"
CODE_SIMPLE = f"code:{SIMPLE}"
ADMIN = ["workflows.*"]


async def create(caller: Caller, payload: dict[str, Any]) -> dict[str, Any]:
    r = await caller.post(DEFINITIONS, json=payload)
    assert r.status_code == 201, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def listed(caller: Caller, **params: Any) -> list[dict[str, Any]]:
    r = await caller.get(DEFINITIONS, params=params)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def stored_rows(tenant_id: str) -> list[WorkflowDefinition]:
    async with sessionmaker()() as s:
        return list((await s.execute(select(WorkflowDefinition).where(WorkflowDefinition.tenant_id == tenant_id)))
                    .scalars().all())


# --- Create / read / update / delete ---------------------------------------------------------------------

async def test_create_answers_the_serialized_row(world: World) -> None:
    me = await world.user(ADMIN)
    payload = minimal()
    r = await me.post(DEFINITIONS, json=payload)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["message"] == "Workflow definition created successfully"
    data = body["data"]
    assert data["workflowId"] == payload["workflowId"] and data["workflowName"] == payload["workflowName"]
    assert data["definition"]["steps"] == payload["definition"]["steps"]
    assert data["version"] == 1 and data["enabled"] is True and data["metadata"] is None
    assert data["tenantId"] == me.tenant_id and data["organizationId"] == me.org_id
    assert data["source"] == "user" and data["isCodeBased"] is False and data["codeModuleId"] is None
    assert data["createdBy"] == me.user_id and data["deletedAt"] is None
    assert data["effectiveFrom"] is None and data["effectiveTo"] is None
    assert ISO_MS.match(data["createdAt"]) and ISO_MS.match(data["updatedAt"])
    op = json.loads(r.headers["x-om-operation"])
    assert op["resourceKind"] == "workflows.definition" and op["resourceId"] == data["id"] and op["undoToken"]
    async with sessionmaker()() as s:
        events = (await s.execute(select(OutboxEvent).where(OutboxEvent.tenant_id == me.tenant_id))).scalars().all()
        assert [e.name for e in events] == ["workflows.definition.created"]
        assert events[0].payload["workflowId"] == payload["workflowId"]


async def test_defaults_are_materialised_only_where_omitted(world: World) -> None:
    me = await world.user(ADMIN)
    payload = minimal()
    del payload["version"], payload["enabled"]
    payload["definition"]["transitions"][0]["_editorPosition"] = {"x": 1}
    data = await create(me, payload)
    assert data["version"] == 1 and data["enabled"] is True
    assert data["definition"]["transitions"][0] == {
        "transitionId": "start-to-end", "fromStepId": "start", "toStepId": "end", "trigger": "auto",
        "_editorPosition": {"x": 1}, "continueOnActivityFailure": False, "priority": 0}


async def test_tc_wf_002_duplicate_round_trips_definition_and_metadata(world: World) -> None:
    me = await world.user(ADMIN)
    stamp = ts()
    definition = {
        "steps": [
            step("start", "START", "Start"),
            step("review", "USER_TASK", "Review", userTaskConfig={"assignedTo": "approver", "slaDuration": "PT1H"},
                 activities=[{"activityId": "review_notify", "activityName": "Notify reviewer",
                              "activityType": "SEND_EMAIL", "async": True,
                              "config": {"to": "{{context.reviewer.email}}", "subject": "Review needed",
                                         "template": "workflow_review"}}]),
            step("end", "END", "End"),
        ],
        "transitions": [
            transition("start_to_review", "start", "review", continueOnActivityFailure=True, priority=10,
                       activities=[{"activityId": "emit_review_requested", "activityName": "Emit review requested",
                                    "activityType": "EMIT_EVENT", "async": True,
                                    "config": {"eventType": "qa.workflow.review.requested",
                                               "payload": {"workflow": "{{workflow.instanceId}}"}}}]),
            transition("review_to_end", "review", "end", "manual", continueOnActivityFailure=True, priority=20),
        ],
    }
    metadata = {"tags": ["qa", "duplicate"], "category": "QA", "icon": "copy"}
    source = {"workflowId": f"qa-wf-dup-{stamp}", "workflowName": f"QA Dup {stamp}", "description": "Source",
              "version": 1, "metadata": metadata, "enabled": True, "definition": definition}
    await create(me, source)
    copy = {**source, "workflowId": f"qa-wf-dup-{stamp}_copy"}
    data = await create(me, copy)
    assert data["workflowId"] == copy["workflowId"] and data["version"] == 1
    assert data["definition"] == definition and data["metadata"] == metadata
    found = await listed(me, workflowId=copy["workflowId"])
    assert [d["id"] for d in found] == [data["id"]] and found[0]["definition"] == definition
    r = await me.post(DEFINITIONS, json=copy)
    assert r.status_code == 409
    assert r.json() == {"error": f'Workflow definition with ID "{copy["workflowId"]}" already exists'}


async def test_tc_wf_003_crud(world: World) -> None:
    me = await world.user(ADMIN)
    payload = minimal()
    created = await create(me, payload)
    r = await me.get(DEFINITIONS, params={"workflowId": payload["workflowId"]})
    body = r.json()
    assert [d["id"] for d in body["data"]] == [created["id"]] and body["pagination"]["total"] >= 1
    r = await me.get(f"{DEFINITIONS}/{created['id']}")
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["id"] == created["id"] and data["workflowId"] == payload["workflowId"]
    assert data["enabled"] is True and len(data["definition"]["steps"]) == 2
    assert len(data["definition"]["transitions"]) == 1

    new_definition = {
        "steps": [step("start", "START"), step("middle", "AUTOMATED", "Middle Step"), step("end", "END")],
        "transitions": [transition("start-to-middle", "start", "middle"), transition("middle-to-end", "middle", "end")],
    }
    r = await me.put(f"{DEFINITIONS}/{created['id']}", json={"definition": new_definition, "enabled": False})
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Workflow definition updated successfully"
    assert r.json()["data"]["enabled"] is False and len(r.json()["data"]["definition"]["steps"]) == 3
    assert r.json()["data"]["workflowName"] == payload["workflowName"]

    r = await me.delete(f"{DEFINITIONS}/{created['id']}")
    assert r.status_code == 200 and r.json() == {"message": "Workflow definition deleted successfully"}
    assert await listed(me, workflowId=payload["workflowId"]) == []
    r = await me.get(f"{DEFINITIONS}/{created['id']}")
    assert r.status_code == 404 and r.json() == {"error": "Workflow definition not found"}
    # Soft-deleted rows keep their workflowId.
    assert (await me.post(DEFINITIONS, json=payload)).status_code == 409


async def test_tc_wf_003_search_enabled_filter_and_paging(world: World) -> None:
    me = await world.user(ADMIN)
    stamp = ts()
    a = await create(me, minimal("-a", workflowName=f"QA-SearchTest-{stamp} A"))
    b = await create(me, minimal("-b", workflowName=f"QA-SearchTest-{stamp} B", enabled=False))
    assert [d["id"] for d in await listed(me, search="SearchTest")] == [a["id"], b["id"]]
    assert [d["id"] for d in await listed(me, search="searchtest", enabled="true")] == [a["id"]]
    assert [d["id"] for d in await listed(me, search="SEARCHTEST", enabled="false")] == [b["id"]]
    assert await listed(me, search="%") == []
    r = await me.get(DEFINITIONS, params={"search": "SearchTest", "limit": 1, "offset": 0})
    assert [d["id"] for d in r.json()["data"]] == [a["id"]]
    assert r.json()["pagination"] == {"total": 2, "limit": 1, "offset": 0, "hasMore": True}
    r = await me.get(DEFINITIONS, params={"search": "SearchTest", "limit": 1, "offset": 1})
    assert r.json()["pagination"]["hasMore"] is False and r.json()["data"][0]["id"] == b["id"]
    for bad in [{"limit": 0}, {"limit": "x"}, {"offset": -1}]:
        assert (await me.get(DEFINITIONS, params=bad)).status_code == 400


async def test_the_list_merges_code_workflows_sorted_by_name(world: World) -> None:
    me = await world.user(ADMIN)
    await create(me, minimal(workflowName="AAA first"))
    await create(me, minimal(workflowName="zzz last"))
    names = [d["workflowName"] for d in await listed(me)]
    assert names == sorted(names, key=str.casefold)
    assert names[0] == "AAA first" and names[-1] == "zzz last"
    sources = {d["workflowId"]: d["source"] for d in await listed(me)}
    assert sources[SIMPLE] == "code" and sources["sales.order-approval"] == "code"
    r = await me.get(DEFINITIONS)
    assert r.json()["pagination"]["total"] == len(names) == 5


async def test_tc_wf_003_and_018_invalid_definitions_are_400_and_store_nothing(world: World) -> None:
    me = await world.user(ADMIN)
    r = await me.post(DEFINITIONS, json=with_steps([step("start", "START")], []))
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "Validation failed"
    messages = {(tuple(d["path"]), d["message"]) for d in body["details"]}
    assert (("definition", "steps"), "Workflow must have at least START and END steps") in messages
    assert (("definition", "transitions"), "Workflow must have at least one transition") in messages

    r = await me.post(DEFINITIONS, json=minimal(workflowId="Bad ID!"))
    assert r.json()["details"][0]["message"] == ("Workflow ID must contain only lowercase letters, numbers, dots, "
                                                 "hyphens, and underscores")
    r = await me.post(DEFINITIONS, json=with_steps([step("start.x", "START"), step("end", "END")],
                                                   [transition("t", "start.x", "end")]))
    assert r.json()["details"][0]["message"] == ("Step ID must contain only lowercase letters, numbers, hyphens, "
                                                 "and underscores")
    assert r.json()["details"][0]["path"] == ["definition", "steps", 0, "stepId"]

    fork_without_join = with_steps(
        [step("start", "START"), step("fork", "PARALLEL_FORK"), step("a", "AUTOMATED"), step("b", "AUTOMATED"),
         step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}), step("end", "END")],
        [transition("start-to-fork", "start", "fork"), transition("fork-to-a", "fork", "a"),
         transition("fork-to-b", "fork", "b"), transition("a-to-join", "a", "join"),
         transition("b-to-join", "b", "join"), transition("join-to-end", "join", "end")])
    r = await me.post(DEFINITIONS, json=fork_without_join)
    assert r.status_code == 400
    assert any(d["message"].startswith("[MISSING_JOIN_STEP_ID]") for d in r.json()["details"])

    nested = with_steps(
        [step("start", "START"), step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}),
         step("inner_fork", "PARALLEL_FORK", config={"joinStepId": "inner_join"}), step("x", "AUTOMATED"),
         step("y", "AUTOMATED"), step("inner_join", "PARALLEL_JOIN", config={"forkStepId": "inner_fork"}),
         step("b", "AUTOMATED"), step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}), step("end", "END")],
        [transition("start-to-fork", "start", "fork"), transition("fork-to-inner", "fork", "inner_fork"),
         transition("fork-to-b", "fork", "b"), transition("inner-to-x", "inner_fork", "x"),
         transition("inner-to-y", "inner_fork", "y"), transition("x-to-ij", "x", "inner_join"),
         transition("y-to-ij", "y", "inner_join"), transition("ij-to-join", "inner_join", "join"),
         transition("b-to-join", "b", "join"), transition("join-to-end", "join", "end")])
    r = await me.post(DEFINITIONS, json=nested)
    assert r.status_code == 400
    assert any("[NESTED_FORK_NOT_SUPPORTED]" in d["message"] for d in r.json()["details"])

    bypass = with_steps(
        [step("start", "START"), step("fork", "PARALLEL_FORK", config={"joinStepId": "join"}),
         step("a", "AUTOMATED"), step("b", "AUTOMATED"), step("join", "PARALLEL_JOIN", config={"forkStepId": "fork"}),
         step("end", "END")],
        [transition("start-to-fork", "start", "fork"), transition("fork-to-a", "fork", "a"),
         transition("fork-to-b", "fork", "b"), transition("a-to-join", "a", "join"),
         transition("b-to-end", "b", "end"), transition("join-to-end", "join", "end")])
    r = await me.post(DEFINITIONS, json=bypass)
    assert r.status_code == 400
    assert any("[NO_CONVERGENCE_TO_JOIN]" in d["message"] for d in r.json()["details"])
    assert await stored_rows(me.tenant_id) == []


async def test_bad_bodies_are_400_and_change_nothing(world: World) -> None:
    me = await world.user(ADMIN)
    for raw in [b"{not json", b"", b"[1, 2]", b'"text"', b"null"]:
        r = await me.post(DEFINITIONS, content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (raw, r.text)
    assert (await me.post(DEFINITIONS, content=b"[1]", headers={"Content-Type": "application/json"})
            ).json()["error"] == "Validation failed"
    created = await create(me, minimal())
    url = f"{DEFINITIONS}/{created['id']}"
    for body in [{"bogus": 1}, {"definition": {"steps": [], "transitions": []}}, {"workflowName": ""},
                 {"enabled": "yes"}, {"metadata": {"tags": "x"}}, {"version": 0}, [1]]:
        r = await me.put(url, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "Validation failed"
    r = await me.put(url, json={"bogus": 1, "other": 2})
    assert r.json()["details"][0]["code"] == "unrecognized_keys"
    assert (await me.put(url, content=b"{", headers={"Content-Type": "application/json"})).status_code == 400
    after = (await me.get(url)).json()["data"]
    assert after == created


async def test_put_applies_only_sent_keys_and_replaces_metadata(world: World) -> None:
    """TC-WF-014 and TC-WF-CRUDFORM-001: metadata round trip, PUT with the full form payload."""
    me = await world.user(ADMIN)
    metadata = {"tags": ["sales", "orders", "invoicing"], "category": "Sales", "icon": "shopping-cart"}
    payload = minimal(metadata=metadata)
    payload["definition"]["transitions"][0]["priority"] = 10
    created = await create(me, payload)
    assert created["metadata"] == metadata
    url = f"{DEFINITIONS}/{created['id']}"
    assert (await me.get(url)).json()["data"]["metadata"] == metadata

    edited = {**payload, "workflowId": "ignored-id", "workflowName": payload["workflowName"] + " (edited)",
              "description": "Updated description", "version": 2, "enabled": False,
              "metadata": {"category": "qa-category-2503"}}
    r = await me.put(url, json=edited)
    assert r.status_code == 200, r.text
    data = (await me.get(url)).json()["data"]
    assert data["workflowId"] == payload["workflowId"] and data["workflowName"].endswith("(edited)")
    assert data["description"] == "Updated description" and data["version"] == 2 and data["enabled"] is False
    assert data["metadata"] == {"category": "qa-category-2503"}
    assert data["updatedBy"] == me.user_id

    r = await me.put(url, json={"description": None, "metadata": None})
    assert r.json()["data"]["description"] is None and r.json()["data"]["metadata"] is None
    assert r.json()["data"]["workflowName"].endswith("(edited)")

    r = await me.put(url, json={"effectiveFrom": "2026-03-01T10:00:00Z", "effectiveTo": "not a date"})
    assert r.json()["data"]["effectiveFrom"] == "2026-03-01T10:00:00.000Z" and r.json()["data"]["effectiveTo"] is None
    r = await me.put(url, json={"effectiveFrom": ""})
    assert r.json()["data"]["effectiveFrom"] is None


async def test_lock_oss_044_optimistic_locking(world: World) -> None:
    me = await world.user(ADMIN)
    created = await create(me, minimal())
    url = f"{DEFINITIONS}/{created['id']}"
    first = (await me.get(url)).json()["data"]["updatedAt"]
    r = await me.put(url, json={"workflowName": "bumped"})
    assert r.status_code == 200
    current = r.json()["data"]["updatedAt"]
    assert current != first
    r = await me.put(url, json={"workflowName": "stale"}, headers={LOCK: first})
    assert r.status_code == 409
    assert r.json() == {"error": "record_modified", "code": "optimistic_lock_conflict",
                        "currentUpdatedAt": current, "expectedUpdatedAt": first}
    assert (await me.get(url)).json()["data"]["workflowName"] == "bumped"
    r = await me.put(url, json={"enabled": False}, headers={LOCK: current})
    assert r.status_code == 200 and r.json()["data"]["enabled"] is False
    toggled = r.json()["data"]["updatedAt"]
    # The same instant written differently is the same token; unreadable tokens mean "no check".
    assert (await me.put(url, json={}, headers={LOCK: toggled.replace("Z", "+00:00")})).status_code == 200
    assert (await me.put(url, json={}, headers={LOCK: "not a date"})).status_code == 200
    assert (await me.delete(url, headers={LOCK: first})).status_code == 409
    latest = (await me.get(url)).json()["data"]["updatedAt"]
    assert (await me.delete(url, headers={LOCK: latest})).status_code == 200


async def _instance(definition_id: str, caller: Caller, status: str) -> None:
    async with sessionmaker()() as s:
        s.add(WorkflowInstance(definition_id=definition_id, workflow_id="x", version=1, status=status,
                               current_step_id="start", context={}, tenant_id=caller.tenant_id,
                               organization_id=caller.org_id))
        await s.commit()


async def test_delete_refuses_while_instances_run(world: World) -> None:
    me = await world.user(ADMIN)
    created = await create(me, minimal())
    url = f"{DEFINITIONS}/{created['id']}"
    await _instance(created["id"], me, "PAUSED")
    await _instance(created["id"], me, "COMPLETED")
    await _instance(created["id"], me, "RUNNING")
    r = await me.delete(url)
    assert r.status_code == 409
    assert r.json() == {"error": "Cannot delete workflow definition with 1 active instance(s)"}
    assert (await me.get(url)).status_code == 200


# --- Code-defined workflows -------------------------------------------------------------------------------

async def test_tc_wf_009_code_definitions_are_listed_and_readable(world: World) -> None:
    me = await world.user(ADMIN)
    code = [d for d in await listed(me) if d["workflowId"] == SIMPLE]
    assert len(code) == 1
    item = code[0]
    assert item["id"] == CODE_SIMPLE and item["source"] == "code" and item["isCodeBased"] is True
    assert item["codeModuleId"] == "workflows" and item["workflowName"] == "Simple Approval Workflow"
    assert item["tenantId"] is None and item["createdAt"] is None
    r = await me.get(f"{DEFINITIONS}/code%3A{SIMPLE}")
    assert r.status_code == 200 and r.json()["data"] == item
    assert item["definition"]["steps"] and item["workflowName"]
    r = await me.get(f"{DEFINITIONS}/{code_workflow_uuid(SIMPLE)}")
    assert r.json()["data"]["id"] == CODE_SIMPLE
    assert (await me.get(f"{DEFINITIONS}/code:nonexistent.workflow")).status_code == 404
    found = await listed(me, search="Simple Approval")
    assert [(d["workflowId"], d["source"]) for d in found] == [(SIMPLE, "code")]
    assert [d["id"] for d in await listed(me, workflowId=SIMPLE, enabled="true")] == [CODE_SIMPLE]
    assert await listed(me, workflowId=SIMPLE, enabled="false") == []


async def test_tc_wf_009_put_on_code_customizes_then_reset_to_code(world: World) -> None:
    me = await world.user(ADMIN)
    r = await me.put(f"{DEFINITIONS}/{CODE_SIMPLE}", json={"enabled": False})
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Workflow definition customized successfully"
    data = r.json()["data"]
    assert data["source"] == "code_override" and data["isCodeBased"] is True and data["workflowId"] == SIMPLE
    assert data["enabled"] is False and not data["id"].startswith("code:") and data["codeModuleId"] == "workflows"
    assert data["createdBy"] == me.user_id and data["updatedBy"] == me.user_id
    found = await listed(me, workflowId=SIMPLE)
    assert [(d["id"], d["source"]) for d in found] == [(data["id"], "code_override")]
    # Even filtered on enabled=true, the disabled customization hides the code version.
    assert await listed(me, workflowId=SIMPLE, enabled="true") == []

    r = await me.post(f"{DEFINITIONS}/{data['id']}/reset-to-code")
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Workflow definition reset to code version"
    assert r.json()["data"]["source"] == "code" and r.json()["data"]["isCodeBased"] is True
    assert r.json()["data"]["workflowId"] == SIMPLE and r.json()["data"]["id"] == CODE_SIMPLE
    assert [d["source"] for d in await listed(me, workflowId=SIMPLE)] == ["code"]
    assert await stored_rows(me.tenant_id) == []  # reset hard-deletes
    async with sessionmaker()() as s:
        names = [e.name for e in (await s.execute(
            select(OutboxEvent).where(OutboxEvent.tenant_id == me.tenant_id).order_by(OutboxEvent.seq)
        )).scalars().all()]
    assert names == ["workflows.definition.customized", "workflows.definition.reset_to_code"]

    user_def = await create(me, minimal())
    r = await me.post(f"{DEFINITIONS}/{user_def['id']}/reset-to-code")
    assert r.status_code == 400
    assert r.json() == {"error": "This workflow definition is not a code-based override and cannot be reset"}


async def test_tc_wf_009_customize_revives_and_refuses_non_code_ids(world: World) -> None:
    me = await world.user(ADMIN)
    r = await me.post(f"{DEFINITIONS}/{CODE_SIMPLE}/customize")
    assert r.status_code == 200, r.text
    first = r.json()["data"]
    assert first["source"] == "code_override" and not first["id"].startswith("code:")
    code = (await me.get(f"{DEFINITIONS}/{CODE_SIMPLE}")).json()["data"]
    assert first["definition"] == code["definition"] and first["workflowName"] == code["workflowName"]
    assert [d["id"] for d in await listed(me, workflowId=SIMPLE)] == [first["id"]]

    assert (await me.delete(f"{DEFINITIONS}/{first['id']}")).status_code == 200
    assert [d["source"] for d in await listed(me, workflowId=SIMPLE)] == ["code"]
    r = await me.post(f"{DEFINITIONS}/{CODE_SIMPLE}/customize")
    assert r.status_code == 200 and r.json()["data"]["id"] == first["id"]
    assert r.json()["data"]["deletedAt"] is None

    r = await me.post(f"{DEFINITIONS}/{first['id']}/customize")
    assert r.status_code == 400
    assert r.json() == {"error": "Customize is only supported for code-based workflow definitions"}
    r = await me.post(f"{DEFINITIONS}/code:nonexistent.workflow/customize")
    assert r.status_code == 404 and r.json() == {"error": "Workflow definition not found"}
    assert (await me.put(f"{DEFINITIONS}/code:nonexistent.workflow", json={})).status_code == 404

    # TC-WF-010/011: editing the customization keeps it an override.
    r = await me.put(f"{DEFINITIONS}/{first['id']}", json={"description": "Edited in the UI"})
    assert r.json()["data"]["description"] == "Edited in the UI" and r.json()["data"]["source"] == "code_override"


async def test_customize_in_another_organization_of_the_tenant_conflicts(world: World) -> None:
    await world.setup()
    a_org, b_org = await world.org("A"), await world.org("B")
    a = await world.user(ADMIN, org_id=a_org, organizations=[a_org])
    b = await world.user(ADMIN, org_id=b_org, organizations=[b_org])
    assert (await a.post(f"{DEFINITIONS}/{CODE_SIMPLE}/customize")).status_code == 200
    r = await b.post(f"{DEFINITIONS}/{CODE_SIMPLE}/customize")
    assert r.status_code == 409
    assert [d["source"] for d in await listed(b, workflowId=SIMPLE)] == ["code"]


async def test_definition_changes_can_be_undone(world: World) -> None:
    me = await world.user([*ADMIN, "audit_logs.undo_self", "audit_logs.view_self"])
    created = await create(me, minimal())
    url = f"{DEFINITIONS}/{created['id']}"
    r = await me.put(url, json={"workflowName": "Renamed"})
    token = json.loads(r.headers["x-om-operation"])["undoToken"]
    r = await me.post("/api/audit_logs/audit-logs/actions/undo", json={"undoToken": token})
    assert r.status_code == 200, r.text
    assert (await me.get(url)).json()["data"]["workflowName"] == created["workflowName"]
    async with sessionmaker()() as s:
        commands = [e.command_id for e in (await s.execute(
            select(ActionLog).where(ActionLog.tenant_id == me.tenant_id).order_by(ActionLog.created_at)
        )).scalars().all()]
    assert commands == ["workflows.definitions.create", "workflows.definitions.update"]


# --- JSON Schema ------------------------------------------------------------------------------------------

async def test_schema_json_is_public(world: World) -> None:
    r = await world.client.get(f"{DEFINITIONS}/schema.json")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/schema+json")
    schema = r.json()
    assert schema["$schema"].startswith("https://json-schema.org/") and "DefinitionCreate" in schema["$defs"]


# --- Access -----------------------------------------------------------------------------------------------

async def test_tc_wf_028_features_and_authentication(world: World) -> None:
    viewer = await world.user(["workflows.view", "workflows.definitions.view", "workflows.instances.view",
                               "workflows.tasks.view"])
    r = await viewer.post(DEFINITIONS, json=minimal())
    assert r.status_code == 403 and r.json() == {"error": "Insufficient permissions"}
    admin = await world.user(ADMIN)
    created = await create(admin, minimal())
    url = f"{DEFINITIONS}/{created['id']}"
    assert (await viewer.get(url)).status_code == 200
    for call in (viewer.put(url, json={"enabled": False}), viewer.delete(url)):
        r = await call
        assert r.status_code == 403 and r.json() == {"error": "Insufficient permissions"}
    r = await viewer.post(f"{DEFINITIONS}/{CODE_SIMPLE}/customize")
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["workflows.definitions.edit"]
    r = await viewer.post(f"{DEFINITIONS}/{created['id']}/reset-to-code")
    assert r.status_code == 403

    nobody = await world.user([])
    r = await nobody.get(DEFINITIONS)
    assert r.status_code == 403 and r.json()["requiredFeatures"] == ["workflows.definitions.view"]
    r = await world.client.get(DEFINITIONS, headers={"Authorization": "Bearer not-a-valid-session-token"})
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}
    assert (await world.client.get(url)).status_code == 401
    assert (await viewer.get(url)).json()["data"]["enabled"] is True


async def test_other_tenants_rows_are_not_found(world: World) -> None:
    me = await world.user(ADMIN)
    created = await create(me, minimal())
    other = await World(world.client).user(ADMIN)
    url = f"{DEFINITIONS}/{created['id']}"
    assert (await other.get(url)).status_code == 404
    assert (await other.put(url, json={"enabled": False})).status_code == 404
    assert (await other.delete(url)).status_code == 404
    assert created["id"] not in [d["id"] for d in await listed(other)]
    # The workflowId is unique per tenant only.
    assert (await other.post(DEFINITIONS, json={**minimal(), "workflowId": created["workflowId"]})).status_code == 201
    assert (await me.get(url)).json()["data"]["enabled"] is True


async def test_tc_wf_029_organizations_of_one_tenant_are_isolated(world: World) -> None:
    await world.setup()
    a_org, b_org = await world.org("A"), await world.org("B")
    a = await world.user(ADMIN, org_id=a_org, organizations=[a_org])
    b = await world.user(ADMIN, org_id=b_org, organizations=[b_org])
    payload = minimal()
    created = await create(a, payload)
    assert [d["id"] for d in await listed(a, workflowId=payload["workflowId"])] == [created["id"]]
    assert await listed(b, workflowId=payload["workflowId"]) == []
    assert (await b.get(f"{DEFINITIONS}/{created['id']}")).status_code == 404
    # Unique per tenant: the other organization cannot take the id either.
    assert (await b.post(DEFINITIONS, json=payload)).status_code == 409
