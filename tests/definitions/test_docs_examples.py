"""The definitions shown in docs/workflows.md are valid: every JSON block there that is a whole
definition row passes the same validation as `POST /api/workflows/definitions`, without warnings."""

from __future__ import annotations

import json
import re
from pathlib import Path

from definitions import lint_definition, parse_create, validate_create

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflows.md"


def test_the_complete_example_in_the_guide_is_valid() -> None:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    rows = [body for body in (json.loads(b) for b in blocks if b.lstrip().startswith('{\n  "workflowId"'))
            if "definition" in body]
    assert rows, "no complete definition found in docs/workflows.md"
    for row in rows:
        assert validate_create(row) == []
        assert lint_definition(parse_create(row).definition) == []
