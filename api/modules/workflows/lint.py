"""Errors and warnings of a definition document, shared by the API (create, update, validate) and the
`stepwise` CLI, so a designer sees the same messages offline and online.

Errors are the validator's (what the API refuses with 400); warnings are `definitions.lint_definition`'s
(what the API saves but will misbehave when it runs: no END step, transitions to unknown steps, END
unreachable, duplicate ids, unknown compensation activity). Imports nothing but `definitions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from definitions import Definition, Issue, lint_definition, parse_definition, validate_create, validate_definition


@dataclass(frozen=True)
class Report:
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "errors": self.errors, "warnings": self.warnings}


def _warning(issue: Issue, prefix: tuple[str | int, ...]) -> dict[str, Any]:
    return {"code": issue.code, "message": issue.message, "path": [*prefix, *issue.path]}


def warnings_of(definition: Definition | Mapping[str, Any] | None,
                prefix: tuple[str | int, ...] = ("definition",)) -> list[dict[str, Any]]:
    """Lint warnings of a parsed definition (or a stored, already-valid definition JSON); paths from the
    create body (`["definition", "transitions", 0, "toStepId"]`) unless `prefix` says otherwise."""
    if definition is None:
        return []
    if not isinstance(definition, Definition):
        try:
            definition = parse_definition(dict(definition))
        except ValueError:
            return []
    return [_warning(i, prefix) for i in lint_definition(definition)]


def check_document(body: Any) -> Report:
    """A create body (`{workflowId, workflowName, definition, ...}`) or a bare definition (`{steps,
    transitions, ...}`): its validation errors, and when it is valid, its lint warnings."""
    if isinstance(body, Mapping) and "definition" not in body and ("steps" in body or "transitions" in body):
        issues = validate_definition(body)
        if issues:
            return Report([i.to_dict() for i in issues], [])
        return Report([], warnings_of(parse_definition(body), ()))
    issues = validate_create(body)
    if issues:
        return Report([i.to_dict() for i in issues], [])
    assert isinstance(body, Mapping)
    return Report([], warnings_of(parse_definition(body["definition"])))
