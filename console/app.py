"""Routes of the console (pages and form posts) and how it is mounted on the API's app."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from api.settings import get_settings
from console.api_client import Answer, Api, SignedOut
from console.forms import field_of_error, fields_of, form_data

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(prefix="/console", include_in_schema=False)

OPEN_TASKS = "PENDING,IN_PROGRESS,ESCALATED"
INSTANCE_STATUSES = ("RUNNING", "PAUSED", "WAITING_FOR_ACTIVITIES", "COMPLETED", "FAILED", "CANCELLED", "COMPENSATED")
Page = Callable[..., Awaitable[Response]]


def mount(app: FastAPI) -> None:
    """Serve the console at `/console` and its assets at `/console/static` (shipped with the package)."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=str(HERE / "static")), name="console-static")


# --- session, CSRF --------------------------------------------------------------------------------------

def csrf_token(request: Request) -> str:
    """Bound to the signed-in session: an HMAC of its token under the server's secret, so a page of another
    site cannot know it (and a new login makes old forms void)."""
    token = request.cookies.get("auth_token", "")
    return hmac.new(get_settings().secret().encode(), f"console-csrf:{token}".encode(), hashlib.sha256).hexdigest()


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def checked_form(request: Request) -> Any:
    """The posted form, after the CSRF checks (token and origin); a failure is a 403 page."""
    form = await request.form()
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(request)) or not _same_origin(request):
        raise CsrfRefused
    return form


class CsrfRefused(Exception):
    pass


def render(request: Request, name: str, http_status: int = 200, /, **context: Any) -> HTMLResponse:
    context.update(request=request, csrf=csrf_token(request), now=datetime.now(UTC).isoformat(),
                   path=request.url.path)
    return templates.TemplateResponse(request, name, context, status_code=http_status)


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/console/login?" + urlencode({"next": target}), status_code=303)


def page(handler: Page) -> Page:
    """Signed-out callers go to the login page; a failed CSRF check is a 403 page."""

    async def wrapper(request: Request, *args: Any, **kw: Any) -> Response:
        if not request.cookies.get("auth_token"):
            return to_login(request)
        try:
            return await handler(request, *args, **kw)
        except SignedOut:
            return to_login(request)
        except CsrfRefused:
            return render(request, "error.html", 403, message="This form has expired or came from another site. "
                                                             "Reload the page and try again.")

    return functools.wraps(handler)(wrapper)


# --- login ----------------------------------------------------------------------------------------------

@router.get("/login")
async def login_page(request: Request, next: str = "/console/inbox") -> Response:
    return templates.TemplateResponse(request, "login.html", {"request": request, "next": _local(next), "error": None})


def _local(target: str) -> str:
    """Only console paths: `next` must not send a signed-in user to another site."""
    return target if target.startswith("/console/") and not target.startswith("//") else "/console/inbox"


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    target = _local(str(form.get("next") or ""))
    if not _same_origin(request):
        return templates.TemplateResponse(request, "login.html", {"request": request, "next": target,
                                                                 "error": "Sign in from this site"}, status_code=403)
    answer = await Api(request).call("POST", "/auth/login", signing_in=True, data={
        "email": str(form.get("email") or ""), "password": str(form.get("password") or "")})
    if not answer.ok or not isinstance(answer.body, dict) or not answer.body.get("token"):
        return templates.TemplateResponse(request, "login.html", {"request": request, "next": target,
                                                                 "error": answer.error}, status_code=400)
    response = RedirectResponse(target, status_code=303)
    settings = get_settings()
    response.set_cookie("auth_token", answer.body["token"], max_age=settings.jwt_ttl_seconds, path="/",
                        httponly=True, samesite="lax", secure=settings.secure_cookies)
    return response


@router.post("/logout")
@page
async def logout(request: Request) -> Response:
    await checked_form(request)
    await Api(request).call("POST", "/auth/logout")
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie("auth_token", path="/")
    return response


@router.get("")
@router.get("/")
async def home() -> Response:
    return RedirectResponse("/console/inbox", status_code=303)


# --- inbox ----------------------------------------------------------------------------------------------

def _badges(task: dict[str, Any], now: str) -> list[str]:
    badges = []
    if task.get("dueDate") and task["dueDate"] < now and task.get("status") in OPEN_TASKS.split(","):
        badges.append("overdue")
    if task.get("escalatedAt") or task.get("status") == "ESCALATED":
        badges.append("escalated")
    return badges


async def _inbox_tasks(request: Request, status: str, overdue: bool, scope: str) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"status": status or OPEN_TASKS, "limit": 200}
    if scope != "all":
        params["myTasks"] = "true"
    if overdue:
        params["overdue"] = "true"
    body = await Api(request).get("/workflows/tasks", **params)
    tasks = body["data"] if body else []
    now = datetime.now(UTC).isoformat()
    for task in tasks:
        task["badges"] = _badges(task, now)
    return tasks


@router.get("/inbox")
@page
async def inbox(request: Request, status: str = "", overdue: str = "", scope: str = "mine") -> Response:
    tasks = await _inbox_tasks(request, status, overdue == "true", scope)
    return render(request, "inbox.html", tasks=tasks, status=status, overdue=overdue == "true", scope=scope,
                  query=request.url.query)


@router.get("/inbox/rows")
@page
async def inbox_rows(request: Request, status: str = "", overdue: str = "", scope: str = "mine") -> Response:
    """The inbox table's rows alone: the page polls this to show new tasks without a reload."""
    tasks = await _inbox_tasks(request, status, overdue == "true", scope)
    return render(request, "_task_rows.html", tasks=tasks)


@router.get("/tasks/{task_id}")
@page
async def task_page(request: Request, task_id: str) -> Response:
    return await _task_view(request, task_id)


async def _task_view(request: Request, task_id: str, *, errors: dict[str, str] | None = None,
                     message: str | None = None, values: dict[str, Any] | None = None, status: int = 200) -> Response:
    api = Api(request)
    body = await api.get(f"/workflows/tasks/{task_id}")
    if body is None:
        return render(request, "error.html", 404, message="Task not found")
    task = body["data"]
    task["badges"] = _badges(task, datetime.now(UTC).isoformat())
    instance = await api.get(f"/workflows/instances/{task['workflowInstanceId']}")
    return render(request, "task.html", status, task=task, fields=fields_of(task.get("formSchema")),
                  errors=errors or {}, message=message, values=values or {},
                  instance=instance["data"] if instance else None)


@router.post("/tasks/{task_id}/claim")
@page
async def claim(request: Request, task_id: str) -> Response:
    await checked_form(request)
    answer = await Api(request).call("POST", f"/workflows/tasks/{task_id}/claim")
    if not answer.ok:
        return await _task_view(request, task_id, message=answer.error, status=answer.status)
    return RedirectResponse(f"/console/tasks/{task_id}", status_code=303)


@router.post("/tasks/{task_id}/complete")
@page
async def complete(request: Request, task_id: str) -> Response:
    form = await checked_form(request)
    api = Api(request)
    task = await api.get(f"/workflows/tasks/{task_id}")
    if task is None:
        return render(request, "error.html", 404, message="Task not found")
    fields = fields_of(task["data"].get("formSchema"))
    data = form_data(fields, form)
    body: dict[str, Any] = {"formData": data}
    if form.get("comments"):
        body["comments"] = str(form.get("comments"))
    answer = await api.call("POST", f"/workflows/tasks/{task_id}/complete", json=body)
    if not answer.ok:
        named = field_of_error(answer.error)
        errors = {named: answer.error} if named and any(f.name == named for f in fields) else {}
        raw = {f.name: form.get(f"field.{f.name}") for f in fields}
        return await _task_view(request, task_id, errors=errors, message=None if errors else answer.error,
                                values=raw, status=answer.status)
    return RedirectResponse(f"/console/instances/{task['data']['workflowInstanceId']}?done={task_id}",
                            status_code=303)


# --- definitions ----------------------------------------------------------------------------------------

@router.get("/definitions")
@page
async def definitions(request: Request, search: str = "") -> Response:
    body = await Api(request).get("/workflows/definitions", search=search, limit=1000)
    return render(request, "definitions.html", definitions=body["data"] if body else [], search=search)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _editable(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("workflowId", "workflowName", "description", "version", "enabled", "metadata", "definition")
    return {k: item.get(k) for k in keys if item.get(k) is not None}


async def _definition_view(request: Request, definition_id: str, *, source: str | None = None,
                           report: dict[str, Any] | None = None, message: str | None = None,
                           status: int = 200) -> Response:
    api = Api(request)
    body = await api.get(f"/workflows/definitions/{definition_id}")
    if body is None:
        return render(request, "error.html", 404, message="Workflow definition not found")
    item = body["data"]
    diagram = await api.text(f"/workflows/definitions/{definition_id}/diagram.svg")
    return render(request, "definition.html", status, item=item, diagram=Markup(diagram or ""),  # noqa: S704
                  source=source or _pretty(_editable(item)), report=report, message=message)


@router.get("/definitions/new")
@page
async def new_definition(request: Request) -> Response:
    template = {"workflowId": "my.workflow", "workflowName": "My workflow", "version": 1, "enabled": True,
                "definition": {"steps": [{"stepId": "start", "stepName": "Start", "stepType": "START"},
                                         {"stepId": "end", "stepName": "End", "stepType": "END"}],
                               "transitions": [{"transitionId": "start-to-end", "fromStepId": "start",
                                                "toStepId": "end", "trigger": "auto"}]}}
    return render(request, "definition_new.html", source=_pretty(template), report=None, message=None)


def _parse_source(text: str) -> tuple[Any, dict[str, Any] | None]:
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, {"valid": False, "errors": [{"path": [], "message": f"Not JSON: {exc}"}], "warnings": []}


async def _report(api: Api, document: Any) -> dict[str, Any]:
    answer = await api.call("POST", "/workflows/definitions/validate", json=document)
    return answer.body if answer.ok and isinstance(answer.body, dict) else \
        {"valid": False, "errors": [{"path": [], "message": answer.error}], "warnings": []}


@router.post("/definitions/new")
@page
async def create_definition(request: Request) -> Response:
    form = await checked_form(request)
    source = str(form.get("source") or "")
    document, report = _parse_source(source)
    api = Api(request)
    if report is None:
        report = await _report(api, document)
    if form.get("action") == "save" and report["valid"]:
        answer = await api.call("POST", "/workflows/definitions", json=document)
        if answer.ok:
            return RedirectResponse(f"/console/definitions/{answer.body['data']['id']}?saved=1", status_code=303)
        report = {"valid": False, "errors": answer.details or [{"path": [], "message": answer.error}],
                  "warnings": []}
    return render(request, "definition_new.html", 400 if not report["valid"] else 200, source=source, report=report,
                  message=None)


@router.get("/definitions/{definition_id}")
@page
async def definition_page(request: Request, definition_id: str) -> Response:
    return await _definition_view(request, definition_id)


@router.post("/definitions/{definition_id}")
@page
async def save_definition(request: Request, definition_id: str) -> Response:
    form = await checked_form(request)
    source = str(form.get("source") or "")
    document, report = _parse_source(source)
    api = Api(request)
    if report is None:
        report = await _report(api, document)
    if form.get("action") == "save" and report["valid"]:
        answer = await api.call("PUT", f"/workflows/definitions/{definition_id}", json=document)
        if answer.ok:
            return RedirectResponse(f"/console/definitions/{answer.body['data']['id']}?saved=1", status_code=303)
        report = {"valid": False, "errors": answer.details or [{"path": [], "message": answer.error}],
                  "warnings": []}
    return await _definition_view(request, definition_id, source=source, report=report,
                                  status=200 if report["valid"] else 400)


@router.post("/definitions/{definition_id}/enabled")
@page
async def toggle_definition(request: Request, definition_id: str) -> Response:
    form = await checked_form(request)
    answer = await Api(request).call("PUT", f"/workflows/definitions/{definition_id}",
                                     json={"enabled": form.get("enabled") == "true"})
    if not answer.ok:
        return await _definition_view(request, definition_id, message=answer.error, status=answer.status)
    return RedirectResponse(f"/console/definitions/{answer.body['data']['id']}", status_code=303)


@router.post("/definitions/{definition_id}/start")
@page
async def start_instance(request: Request, definition_id: str) -> Response:
    form = await checked_form(request)
    api = Api(request)
    item = await api.get(f"/workflows/definitions/{definition_id}")
    if item is None:
        return render(request, "error.html", 404, message="Workflow definition not found")
    text = str(form.get("context") or "").strip() or "{}"
    try:
        context = json.loads(text)
    except ValueError as exc:
        return await _definition_view(request, definition_id, message=f"Initial context is not JSON: {exc}",
                                      status=400)
    body: dict[str, Any] = {"workflowId": item["data"]["workflowId"], "initialContext": context}
    if form.get("correlationKey"):
        body["correlationKey"] = str(form.get("correlationKey"))
    answer = await api.call("POST", "/workflows/instances", json=body)
    if not answer.ok:
        return await _definition_view(request, definition_id, message=answer.error, status=answer.status)
    return RedirectResponse(f"/console/instances/{answer.body['data']['instance']['id']}", status_code=303)


# --- instances ------------------------------------------------------------------------------------------

@router.get("/instances")
@page
async def instances(request: Request, status: str = "", workflowId: str = "") -> Response:
    body = await Api(request).get("/workflows/instances", status=status, workflowId=workflowId, limit=200)
    return render(request, "instances.html", instances=body["data"] if body else [], status=status,
                  workflow_id=workflowId, statuses=INSTANCE_STATUSES)


async def _instance_view(request: Request, instance_id: str, *, message: str | None = None,
                         status: int = 200) -> Response:
    api = Api(request)
    body = await api.get(f"/workflows/instances/{instance_id}")
    if body is None:
        return render(request, "error.html", 404, message="Workflow instance not found")
    events = await api.get(f"/workflows/instances/{instance_id}/events", limit=500)
    tasks = await api.get("/workflows/tasks", workflowInstanceId=instance_id, status=OPEN_TASKS, limit=100)
    diagram = await api.text(f"/workflows/instances/{instance_id}/diagram.svg")
    return render(request, "instance.html", status, instance=body["data"], diagram=Markup(diagram or ""),  # noqa: S704
                  events=list(reversed(events["data"])) if events else [], tasks=tasks["data"] if tasks else [],
                  context=_pretty(body["data"].get("context")), message=message)


@router.get("/instances/{instance_id}")
@page
async def instance_page(request: Request, instance_id: str) -> Response:
    return await _instance_view(request, instance_id)


@router.get("/instances/{instance_id}/diagram")
@page
async def instance_diagram(request: Request, instance_id: str) -> Response:
    """The live diagram alone (the instance page polls it while the instance is running)."""
    svg = await Api(request).text(f"/workflows/instances/{instance_id}/diagram.svg")
    return Response(svg or "", media_type="image/svg+xml")


ACTIONS = {"cancel": "cancel", "retry": "retry", "advance": "advance", "signal": "signal"}


@router.post("/instances/{instance_id}/{action}")
@page
async def instance_action(request: Request, instance_id: str, action: str) -> Response:
    form = await checked_form(request)
    if action not in ACTIONS:
        return render(request, "error.html", 404, message="Unknown action")
    body: dict[str, Any] | None = None
    if action == "signal":
        try:
            payload = json.loads(str(form.get("payload") or "").strip() or "{}")
        except ValueError as exc:
            return await _instance_view(request, instance_id, message=f"Payload is not JSON: {exc}", status=400)
        body = {"signalName": str(form.get("signalName") or ""), "payload": payload}
    elif action == "advance" and form.get("toStepId"):
        body = {"toStepId": str(form.get("toStepId"))}
    answer: Answer = await Api(request).call("POST", f"/workflows/instances/{instance_id}/{action}",
                                             json=body if body is not None else {})
    if not answer.ok:
        return await _instance_view(request, instance_id, message=answer.error, status=answer.status)
    return RedirectResponse(f"/console/instances/{instance_id}", status_code=303)
