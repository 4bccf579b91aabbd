"""The code-defined workflows we ship, read from ``definitions/shipped/``.

Each ``shipped/<workflowId>.json`` is a ``POST /api/workflows/definitions`` create body plus ``moduleId``,
the module that owns it. ``shipped/rules/<workflowId>.json`` lists the business rules (``POST
/api/business_rules/rules`` create bodies) its guards refer to; tenant setup upserts them so the guards
resolve.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from definitions.model import Definition, DefinitionCreate
from definitions.validation import dump_definition, parse_create

__all__ = ["SHIPPED_DIR", "ShippedWorkflow", "code_workflow_uuid", "load_shipped", "shipped_rules"]

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"


@dataclass(frozen=True)
class ShippedWorkflow:
    """A code-defined workflow. Treat ``guard_rules`` as read-only: it is shared between callers."""

    module_id: str
    row: DefinitionCreate
    guard_rules: tuple[dict[str, Any], ...]

    @property
    def workflow_id(self) -> str:
        return self.row.workflow_id

    @property
    def definition(self) -> Definition:
        return self.row.definition

    @property
    def uuid(self) -> str:
        """The id instances started from this workflow carry as `definitionId`."""
        return code_workflow_uuid(self.row.workflow_id)

    def to_json(self) -> dict[str, Any]:
        """The create body as camelCase JSON (without ``moduleId``), defaults materialised."""
        return dump_definition(self.row)


def code_workflow_uuid(workflow_id: str) -> str:
    """Deterministic UUID (v4 layout) of a code workflow: SHA-256 of ``code-workflow:<workflowId>``."""
    h = hashlib.sha256(f"code-workflow:{workflow_id}".encode()).hexdigest()
    variant = format((int(h[16], 16) & 0x3) | 0x8, "x")
    return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


@cache
def _load(directory: Path) -> tuple[ShippedWorkflow, ...]:
    workflows = []
    for path in sorted(directory.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        module_id = raw.pop("moduleId")
        row = parse_create(raw)
        if row.workflow_id != path.stem:
            raise ValueError(f"{path.name}: workflowId {row.workflow_id!r} does not match the file name")
        rules_path = directory / "rules" / path.name
        rules = json.loads(rules_path.read_text(encoding="utf-8")) if rules_path.exists() else []
        workflows.append(ShippedWorkflow(module_id=module_id, row=row, guard_rules=tuple(rules)))
    return tuple(workflows)


def load_shipped(directory: Path = SHIPPED_DIR) -> dict[str, ShippedWorkflow]:
    """Every shipped workflow by workflowId. Files are read and validated once per process."""
    return {w.workflow_id: w for w in _load(directory)}


def shipped_rules(directory: Path = SHIPPED_DIR) -> list[dict[str, Any]]:
    """The guard rules of every shipped workflow, for tenant setup to upsert."""
    return [rule for w in _load(directory) for rule in w.guard_rules]
