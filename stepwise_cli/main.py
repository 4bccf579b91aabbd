"""The `stepwise` commands (Typer). Every command has `--help`; `stepwise --install-completion` installs
shell completion. Connection settings come from flags or the environment: STEPWISE_URL, STEPWISE_API_KEY,
STEPWISE_TOKEN."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from stepwise_cli.client import ApiFailure, Connection

app = typer.Typer(help="Stepwise from the command line: validate and push workflow definitions, start and watch "
                       "instances, work on tasks, send signals, test business rules.", no_args_is_help=True)
definitions = typer.Typer(help="Workflow definitions: validate (offline), push, list, diagram, simulate.",
                          no_args_is_help=True)
instances = typer.Typer(help="Workflow instances: start, list, show, watch.", no_args_is_help=True)
tasks = typer.Typer(help="User tasks: list, claim, complete.", no_args_is_help=True)
signal = typer.Typer(help="Signals to waiting instances.", no_args_is_help=True)
rules = typer.Typer(help="Business rules: run a rule locally against data.", no_args_is_help=True)
app.add_typer(definitions, name="definitions")
app.add_typer(instances, name="instances")
app.add_typer(tasks, name="tasks")
app.add_typer(signal, name="signal")
app.add_typer(rules, name="rules")

FINISHED = {"COMPLETED": 0, "CANCELLED": 1, "FAILED": 1, "COMPENSATED": 1}


@app.callback()
def connect(
    ctx: typer.Context,
    url: Annotated[str, typer.Option(envvar="STEPWISE_URL", help="Base URL of the API")] = "http://127.0.0.1:8000",
    api_key: Annotated[str | None, typer.Option(envvar="STEPWISE_API_KEY", help="API key (X-API-Key)")] = None,
    token: Annotated[str | None, typer.Option(envvar="STEPWISE_TOKEN", help="Bearer token from /api/auth/login")]
    = None,
) -> None:
    ctx.obj = Connection(url=url, api_key=api_key, token=token)


def _conn(ctx: typer.Context) -> Connection:
    assert isinstance(ctx.obj, Connection)
    return ctx.obj


def _out(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False))


def _fail(message: str, details: Any = None) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    if isinstance(details, list):
        for d in details:
            if isinstance(d, dict) and "message" in d:
                path = ".".join(str(p) for p in d.get("path") or [])
                typer.echo(f"  {path or '<root>'}: {d['message']}", err=True)
            else:
                typer.echo(f"  {d}", err=True)
    return typer.Exit(1)


def _json_arg(text: str | None, what: str) -> Any:
    if text is None:
        return None
    source = text
    if text.startswith("@"):  # curl's convention: @file reads the JSON from a file
        source = Path(text[1:]).read_text()
    try:
        return json.loads(source)
    except ValueError as exc:
        raise _fail(f"{what} is not JSON: {exc}") from None


def _read_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise _fail(f"{path}: {exc.strerror}") from None
    except ValueError as exc:
        raise _fail(f"{path}: not JSON: {exc}") from None


def _api(ctx: typer.Context, method: str, path: str, **kw: Any) -> Any:
    try:
        return _conn(ctx).json(method, path, **kw)
    except ApiFailure as exc:
        raise _fail(str(exc), exc.details) from None


def _path(path: list[Any]) -> str:
    return ".".join(str(p) for p in path) or "<root>"


# --- login --------------------------------------------------------------------------------------------

@app.command()
def login(
    ctx: typer.Context,
    email: Annotated[str, typer.Option(envvar="STEPWISE_EMAIL", help="Account email")],
    password: Annotated[str, typer.Option(envvar="STEPWISE_PASSWORD", prompt=True, hide_input=True)],
) -> None:
    """Sign in and print a token: `export STEPWISE_TOKEN=$(stepwise login --email ...)`."""
    body = _api(ctx, "POST", "/auth/login", data={"email": email, "password": password})
    typer.echo(body["token"])


# --- definitions --------------------------------------------------------------------------------------

@definitions.command("validate")
def definitions_validate(
    files: Annotated[list[Path], typer.Argument(help="Definition files (create bodies or bare definitions)")],
    strict: Annotated[bool, typer.Option(help="Warnings fail too")] = False,
) -> None:
    """Validate definition files offline with the API's validator: one `file:path: message` line per problem;
    exit 1 on errors (or on warnings with --strict)."""
    from api.modules.workflows.lint import check_document

    failed = False
    for file in files:
        report = check_document(_read_file(file))
        for issue in report.errors:
            typer.echo(f"{file}:{_path(issue['path'])}: error: {issue['message']}")
        for warning in report.warnings:
            typer.echo(f"{file}:{_path(warning['path'])}: warning: {warning['message']} [{warning['code']}]")
        failed = failed or bool(report.errors) or (strict and bool(report.warnings))
    if failed:
        raise typer.Exit(1)


@definitions.command("push")
def definitions_push(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A create body")]) -> None:
    """Create the definition, or update the tenant's definition with the same workflowId (a code-defined
    workflow gets a customization). Prints the id; warnings go to stderr."""
    body = _read_file(file)
    workflow_id = body.get("workflowId") if isinstance(body, dict) else None
    if not isinstance(workflow_id, str):
        raise _fail(f"{file}: workflowId is required to push")
    found = _api(ctx, "GET", "/workflows/definitions", params={"workflowId": workflow_id, "limit": 1000})["data"]
    rows = [d for d in found if d.get("workflowId") == workflow_id]
    if rows:
        answer = _api(ctx, "PUT", f"/workflows/definitions/{rows[0]['id']}", json=body)
    else:
        answer = _api(ctx, "POST", "/workflows/definitions", json=body)
    for warning in answer.get("warnings") or []:
        typer.echo(f"{file}:{_path(warning['path'])}: warning: {warning['message']} [{warning['code']}]", err=True)
    typer.echo(f"{answer['message']}: {answer['data']['id']}", err=True)
    typer.echo(answer["data"]["id"])


@definitions.command("list")
def definitions_list(ctx: typer.Context, search: Annotated[str | None, typer.Option()] = None) -> None:
    """The definitions: id, workflowId, version, enabled, name (tab-separated)."""
    body = _api(ctx, "GET", "/workflows/definitions", params={"limit": 1000, **({"search": search} if search else {})})
    for d in body["data"]:
        typer.echo("\t".join(str(x) for x in (d["id"], d["workflowId"], d.get("version"), d.get("enabled"),
                                                d.get("workflowName"))))


@definitions.command("diagram")
def definitions_diagram(
    ctx: typer.Context, id: Annotated[str, typer.Argument(help="Definition id, or code:<workflowId>")],
    format: Annotated[str, typer.Option(help="svg or mermaid")] = "svg",
) -> None:
    """Print the definition's diagram: `stepwise definitions diagram ID > flow.svg`."""
    try:
        response = _conn(ctx).call("GET", f"/workflows/definitions/{id}/diagram.svg", params={"format": format})
    except ApiFailure as exc:
        raise _fail(str(exc), exc.details) from None
    sys.stdout.write(response.text)


@definitions.command("simulate")
def definitions_simulate(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="A definition file (create body or bare definition), or the id of "
                                               "a stored definition (code:<workflowId> for a shipped one)")],
    script: Annotated[Path | None, typer.Option(help="JSON file: {initialContext, events, activities, startAt, "
                                                     "maxIterations}")] = None,
    context: Annotated[str | None, typer.Option(help="Initial context as JSON (or @file); overrides the "
                                                     "script's")] = None,
    expect_status: Annotated[str | None, typer.Option(help="Exit 1 unless the simulation ends in this status "
                                                           "(e.g. COMPLETED)")] = None,
) -> None:
    """Run a definition without side effects against a script of events, on the API (guards are the tenant's
    rules, evaluated as dry runs). A FILE is sent inline and not stored; anything else is a definition id.
    Prints the report as JSON; exit 1 when the script was not consumed, the run was truncated, or
    --expect-status does not match."""
    body: dict[str, Any] = dict(_read_file(script)) if script else {}
    if context is not None:
        body["initialContext"] = _json_arg(context, "--context")
    file = Path(target)
    if file.suffix == ".json" or file.is_file():
        body["definition"] = _read_file(file)
        report = _api(ctx, "POST", "/workflows/definitions/simulate", json=body)["data"]
    else:
        report = _api(ctx, "POST", f"/workflows/definitions/{target}/simulate", json=body)["data"]
    _out(report)
    problems = []
    for event in report.get("events") or []:
        if event.get("error"):
            problems.append(f"event {event['index']} ({event['type']}) not expected: {event['error']['message']}")
    if report.get("truncated"):
        problems.append("truncated: the definition kept looping (raise maxIterations if it is meant to)")
    elif not report.get("scriptConsumed") and not problems:
        problems.append(f"script not consumed: events {report.get('unconsumedEvents')}")
    if expect_status and report.get("status") != expect_status:
        problems.append(f"ended {report.get('status')} at {report.get('currentStepId')}, expected {expect_status}")
    for problem in problems:
        typer.echo(f"{target}: {problem}", err=True)
    if problems:
        raise typer.Exit(1)


# --- instances ----------------------------------------------------------------------------------------

@instances.command("start")
def instances_start(
    ctx: typer.Context, workflow_id: Annotated[str, typer.Argument(help="workflowId to start")],
    context: Annotated[str | None, typer.Option(help="Initial context as JSON (or @file)")] = None,
    correlation_key: Annotated[str | None, typer.Option(help="Correlation key for signals")] = None,
    version: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Start an instance; prints the instance JSON."""
    body: dict[str, Any] = {"workflowId": workflow_id}
    if context is not None:
        body["initialContext"] = _json_arg(context, "--context")
    if correlation_key:
        body["correlationKey"] = correlation_key
    if version is not None:
        body["version"] = version
    _out(_api(ctx, "POST", "/workflows/instances", json=body)["data"]["instance"])


@instances.command("list")
def instances_list(
    ctx: typer.Context, status: Annotated[str | None, typer.Option(help="Status or comma list")] = None,
    workflow_id: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option()] = 50,
) -> None:
    """Instances, newest first: id, workflowId, status, currentStepId (tab-separated)."""
    params: dict[str, Any] = {"limit": limit}
    if status:
        params["status"] = status
    if workflow_id:
        params["workflowId"] = workflow_id
    for i in _api(ctx, "GET", "/workflows/instances", params=params)["data"]:
        typer.echo("\t".join(str(x) for x in (i["id"], i["workflowId"], i["status"], i.get("currentStepId"))))


@instances.command("show")
def instances_show(ctx: typer.Context, id: str,
                   events: Annotated[bool, typer.Option(help="Include the event timeline")] = False) -> None:
    """An instance as JSON (with --events, its event timeline, oldest first)."""
    data = _api(ctx, "GET", f"/workflows/instances/{id}")["data"]
    if events:
        data["events"] = list(reversed(_api(ctx, "GET", f"/workflows/instances/{id}/events",
                                            params={"limit": 1000})["data"]))
    _out(data)


@instances.command("watch")
def instances_watch(
    ctx: typer.Context, id: str,
    interval: Annotated[float, typer.Option(help="Seconds between polls")] = 1.0,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds (0: never)")] = 0,
) -> None:
    """Print each change of status and current step until the instance finishes; exit 0 when it completed,
    1 when it failed or was cancelled, 2 on timeout."""
    seen: tuple[Any, Any] | None = None
    began = time.monotonic()
    while True:
        data = _api(ctx, "GET", f"/workflows/instances/{id}")["data"]
        now = (data["status"], data.get("currentStepId"))
        if now != seen:
            stamp = datetime.now(UTC).strftime("%H:%M:%S")
            typer.echo(f"{stamp}\t{data['status']}\t{data.get('currentStepId')}")
            seen = now
        if data["status"] in FINISHED:
            raise typer.Exit(FINISHED[data["status"]])
        if timeout and time.monotonic() - began > timeout:
            typer.echo("timeout", err=True)
            raise typer.Exit(2)
        time.sleep(interval)


# --- tasks --------------------------------------------------------------------------------------------

@tasks.command("list")
def tasks_list(
    ctx: typer.Context,
    mine: Annotated[bool, typer.Option(help="Only tasks assigned to me or my roles")] = False,
    status: Annotated[str | None, typer.Option(help="Status or comma list")] = None,
    overdue: Annotated[bool, typer.Option(help="Only open tasks past their due date")] = False,
    instance: Annotated[str | None, typer.Option(help="Only tasks of this instance")] = None,
) -> None:
    """Tasks, newest first: id, status, taskName, workflowInstanceId, dueDate (tab-separated)."""
    params: dict[str, Any] = {"limit": 1000}
    if mine:
        params["myTasks"] = "true"
    if status:
        params["status"] = status
    if overdue:
        params["overdue"] = "true"
    if instance:
        params["workflowInstanceId"] = instance
    for t in _api(ctx, "GET", "/workflows/tasks", params=params)["data"]:
        typer.echo("\t".join(str(x) for x in (t["id"], t["status"], t["taskName"], t["workflowInstanceId"],
                                                t.get("dueDate"))))


@tasks.command("claim")
def tasks_claim(ctx: typer.Context, id: str) -> None:
    """Claim a task of one of my roles' queues."""
    _out(_api(ctx, "POST", f"/workflows/tasks/{id}/claim")["data"])


@tasks.command("complete")
def tasks_complete(
    ctx: typer.Context, id: str,
    data: Annotated[str, typer.Option(help="Form data as JSON (or @file)")] = "{}",
    comments: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Complete a task with form data; the task's formSchema is checked by the API."""
    body: dict[str, Any] = {"formData": _json_arg(data, "--data")}
    if comments:
        body["comments"] = comments
    _out(_api(ctx, "POST", f"/workflows/tasks/{id}/complete", json=body)["data"])


# --- signals ------------------------------------------------------------------------------------------

@signal.command("send")
def signal_send(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Signal name")],
    instance: Annotated[str | None, typer.Option(help="Instance id")] = None,
    correlation_key: Annotated[str | None, typer.Option(help="Every waiting instance with this key")] = None,
    payload: Annotated[str | None, typer.Option(help="Payload as JSON (or @file)")] = None,
) -> None:
    """Send a signal to one instance (--instance) or by correlation key (--correlation-key)."""
    if bool(instance) == bool(correlation_key):
        raise _fail("give exactly one of --instance and --correlation-key")
    body: dict[str, Any] = {"signalName": name}
    if payload is not None:
        body["payload"] = _json_arg(payload, "--payload")
    if instance:
        _out(_api(ctx, "POST", f"/workflows/instances/{instance}/signal", json=body))
    else:
        _out(_api(ctx, "POST", "/workflows/signals", json={**body, "correlationKey": correlation_key}))


# --- rules --------------------------------------------------------------------------------------------

@rules.command("test")
def rules_test(
    file: Annotated[Path, typer.Argument(help="A rule (the business_rules create body) or a list of rules")],
    data: Annotated[str, typer.Option(help="The data to evaluate, as JSON (or @file)")] = "{}",
) -> None:
    """Run rules locally, with the engine's rules library: condition result and the actions' effects per rule.
    Nothing is sent anywhere. Exit 1 when a condition cannot be evaluated."""
    from stepwise_cli.rules_local import run_rules

    outcome = run_rules(_read_file(file), _json_arg(data, "--data"), now=datetime.now(UTC))
    _out(outcome)
    if any(r.get("error") for r in outcome):
        raise typer.Exit(1)


def main() -> None:
    app(prog_name="stepwise")
