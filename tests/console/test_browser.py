"""The console in a real browser: sign in, start an instance, claim and complete its task through the form
generated from the formSchema (a validation error first), and see the instance finish on the diagram; also
at a phone's width. Screenshots land in docs/images/ with UPDATE_SCREENSHOTS=1 (the README shows them)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.conftest import CHROMIUM
from tests.fixtures import PASSWORD, World

pytestmark = [pytest.mark.usefixtures("engine"),
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium browser installed (.ci/run installs "
                                                          "Debian's chromium package)")]
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
FORM = {"type": "object", "required": ["decision", "note"], "properties": {
    "decision": {"type": "string", "title": "Decision", "enum": ["approve", "reject"], "default": "approve"},
    "amount": {"type": "number", "title": "Approved amount"},
    "note": {"type": "string", "title": "Note for the requester"},
    "urgent": {"type": "boolean", "title": "Urgent"}}}


def approval(stamp: str) -> dict[str, Any]:
    return {"workflowId": f"console.approval-{stamp}", "workflowName": "Expense approval", "version": 1,
            "definition": {
                "steps": [{"stepId": "start", "stepName": "Start", "stepType": "START"},
                          {"stepId": "review", "stepName": "Review expense", "stepType": "USER_TASK",
                           "userTaskConfig": {"assignedTo": ["approver"], "formSchema": FORM, "slaDuration": "P1D"}},
                          {"stepId": "book", "stepName": "Book expense", "stepType": "AUTOMATED"},
                          {"stepId": "end", "stepName": "Done", "stepType": "END"}],
                "transitions": [
                    {"transitionId": "start-to-review", "fromStepId": "start", "toStepId": "review", "trigger": "auto"},
                    {"transitionId": "review-to-book", "fromStepId": "review", "toStepId": "book", "trigger": "auto",
                     "priority": 1, "condition": {"field": "decision", "operator": "=", "value": "approve"}},
                    {"transitionId": "review-to-end", "fromStepId": "review", "toStepId": "end", "trigger": "auto"},
                    {"transitionId": "book-to-end", "fromStepId": "book", "toStepId": "end", "trigger": "auto"}]}}


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield chromium
        finally:
            await chromium.close()


def shot(name: str, tmp: Path) -> Path:
    return IMAGES / name if os.environ.get("UPDATE_SCREENSHOTS") else tmp / name


async def test_sign_in_start_claim_complete_and_watch_it_finish(world: World, live_url: str, browser: Any,
                                                                 tmp_path: Path) -> None:
    from playwright.async_api import expect

    await world.setup()
    role = await world.role("approver", ["workflows.*"])
    me = await world.user(roles=[role], email=f"approver-{world.tenant_id[:8]}@example.com")
    created = await me.post("/api/workflows/definitions", json=approval(world.tenant_id[:8]))
    assert created.status_code == 201, created.text
    definition_id = created.json()["data"]["id"]

    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    page.set_default_timeout(15_000)
    await page.goto(f"{live_url}/console/inbox")
    assert "/console/login" in page.url
    await page.fill("#email", me.email)
    await page.fill("#password", "wrong password")
    await page.click("button[type=submit]")
    await expect(page.locator("#login-error")).to_be_visible()
    await page.fill("#email", me.email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("My tasks")

    # Start from the definition page; the diagram is there.
    await page.goto(f"{live_url}/console/definitions/{definition_id}")
    await expect(page.locator("figure.diagram svg g[data-step-id=review]")).to_be_visible()
    await page.click("#start-instance")
    await expect(page.locator("#instance-status")).to_be_visible()
    instance_id = page.url.rsplit("/", 1)[-1]

    # The inbox shows the task without a reload (live refresh).
    await page.goto(f"{live_url}/console/inbox")
    row = page.locator("#task-rows a", has_text="Review expense")
    await expect(row).to_be_visible()
    await page.screenshot(path=str(shot("console-inbox.png", tmp_path)))
    await row.click()
    await page.click("#claim")
    await expect(page.locator("#task-status")).to_have_text("IN_PROGRESS")

    # A server-side validation error, shown next to its field; what was typed stays.
    await page.select_option("#field-decision", label="approve")
    await page.fill("#field-amount", "120.5")
    await page.click("#complete")
    error = page.locator("#field-note-error")
    await expect(error).to_have_text("Required field missing: note")
    await expect(page.locator("#field-note")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#field-amount")).to_have_value("120.5")

    await page.fill("#field-note", "Fine, booked.")
    await page.check("#field-urgent")
    await page.click("#complete")
    await page.wait_for_url(f"**/console/instances/{instance_id}*")
    await expect(page.locator("#instance-status")).to_have_text("COMPLETED", timeout=20_000)
    diagram = page.locator("#instance-diagram svg")
    await expect(diagram.locator("g.step.visited[data-step-id=book]")).to_be_visible()
    await expect(diagram.locator("g.transition.taken[data-transition-id=review-to-book]")).to_be_attached()
    await expect(diagram.locator("g.transition.taken[data-transition-id=review-to-end]")).to_have_count(0)
    context = await page.locator("#context").inner_text()
    assert '"note": "Fine, booked."' in context and '"amount": 120.5' in context and '"urgent": true' in context
    await page.screenshot(path=str(shot("console-instance.png", tmp_path)), full_page=True)

    # A phone's width: the inbox fits without sideways scrolling, and the keyboard reaches the content first.
    phone = await (await browser.new_context(viewport={"width": 390, "height": 800},
                                             storage_state=await page.context.storage_state())).new_page()
    await phone.goto(f"{live_url}/console/inbox")
    await expect(phone.locator("h1")).to_have_text("My tasks")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    await phone.keyboard.press("Tab")
    assert await phone.evaluate("document.activeElement.className") == "skip"
