"""Keeps the arrows of ARCHITECTURE.md honest: the pure packages import no I/O or clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = ["rules", "engine", "definitions", "jscompat"]
FORBIDDEN = {"sqlalchemy", "fastapi", "httpx", "api", "activities", "requests", "socket", "time", "random"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _sources(name: str) -> list[Path]:
    """The files of a package, or the one file of a top-level module."""
    module = ROOT / f"{name}.py"
    return [module] if module.is_file() else sorted((ROOT / name).rglob("*.py"))


@pytest.mark.parametrize("package", PURE)
def test_pure_packages_import_no_io(package: str) -> None:
    sources = _sources(package)
    assert sources, f"{package} not found"
    bad = {str(p.relative_to(ROOT)): sorted(_imports(p) & FORBIDDEN) for p in sources}
    assert {k: v for k, v in bad.items() if v} == {}


# What the workflow's code may not touch, since it runs outside Temporal's sandbox (engine/workflow.py): a
# replay must make the same decisions, so no clock, randomness, fresh uuids, environment, files or threads.
# The workflow's clock and uuids are `workflow.now()` / `workflow.uuid4()` (the `Effects` port).
WORKFLOW_FORBIDDEN_IMPORTS = {"os", "uuid", "secrets", "threading", "subprocess", "pathlib", "shutil", "tempfile",
                              "urllib", "http", "logging", "concurrent"}
WORKFLOW_FORBIDDEN_CALLS = {"now", "utcnow", "today", "fromtimestamp", "uuid1", "uuid4", "getenv", "urandom"}
# What may be imported from a forbidden module: `uuid5` names an id by a hash of its input, the same on every
# replay (engine._effects: ids by scope).
WORKFLOW_ALLOWED_FROM = {"uuid": {"UUID", "uuid5"}}
WORKFLOW_FORBIDDEN_NAMES = {"open", "input", "print", "exec", "eval", "id", "hash"}


def _workflow_own(receiver: ast.expr) -> bool:
    """`workflow.now()`, `effects.now()`, `self.effects.now()`: the workflow's clock and uuids."""
    return (isinstance(receiver, ast.Name) and receiver.id in {"workflow", "effects"}) or (
        isinstance(receiver, ast.Attribute) and receiver.attr == "effects")


def _allowed_from(node: ast.ImportFrom) -> bool:
    allowed = WORKFLOW_ALLOWED_FROM.get(node.module or "", set())
    return all(alias.name in allowed for alias in node.names)


def _nondeterministic(path: Path) -> list[str]:
    """What `path` does that a replay could not repeat: forbidden imports, and calls of the clock and the like
    (`x.now()`, `open(...)`) other than the workflow's own (`workflow.now()`, `workflow.uuid4()`)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if node.level == 0 and not _allowed_from(node) else []
            found += [f"import {n}" for n in names if n.split(".")[0] in WORKFLOW_FORBIDDEN_IMPORTS]
        elif isinstance(node, ast.Call):
            fn = node.func
            if isinstance(fn, ast.Attribute) and fn.attr in WORKFLOW_FORBIDDEN_CALLS and not _workflow_own(fn.value):
                found.append(f"{ast.unparse(fn)}() line {node.lineno}")
            elif isinstance(fn, ast.Name) and fn.id in WORKFLOW_FORBIDDEN_NAMES:
                found.append(f"{fn.id}() line {node.lineno}")
    return found


def test_the_workflow_code_reads_no_clock_randomness_or_environment() -> None:
    # engine/simulation.py runs in the API, not in a workflow, but keeps the same rule (its virtual clock).
    offenders = {str(p.relative_to(ROOT)): _nondeterministic(p) for p in _sources("engine")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_determinism_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nimport uuid\nfrom datetime import datetime\nx = datetime.now()\n"
                      "y = uuid.uuid4()\nz = workflow.now()\nw = open('f')\nv = self.effects.now()\nu = date.today()\n"
                      "from uuid import UUID, uuid5\nfrom uuid import uuid4, uuid5\n")
    assert _nondeterministic(sample) == ["import os", "import uuid", "import uuid", "datetime.now() line 4",
                                         "uuid.uuid4() line 5", "open() line 7", "date.today() line 9"]


def test_jscompat_uses_the_standard_library_only() -> None:
    assert sorted(_imports(ROOT / "jscompat.py") - sys.stdlib_module_names - {"__future__"}) == []


def _full_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_api_never_imports_engine_internals() -> None:
    # `engine`'s public surface is its package `__init__`; private `engine._*` modules are not.
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "api").rglob("*.py")
                 if any(m.startswith("engine._") for m in _full_imports(p))]
    assert offenders == []


def _module_imports(package: Path) -> dict[str, set[str]]:
    return {str(p.relative_to(ROOT)): _full_imports(p) for p in package.rglob("*.py")}


def test_the_platform_imports_no_business_module() -> None:
    """auth, directory, api_keys, audit_logs, the kit and the kernel stand alone: business modules
    build on them, never the other way round."""
    from api.manifest import MODULES, PLATFORM

    business = [m for m in MODULES if m not in PLATFORM]
    kernel = [p for p in (ROOT / "api").glob("*.py")] + list((ROOT / "api" / "crud").rglob("*.py"))
    files = {str(p.relative_to(ROOT)): _full_imports(p) for p in kernel}
    for name in PLATFORM:
        files.update(_module_imports(ROOT / "api" / "modules" / name))
    offenders = {path: sorted(i for i in imports if any(i.startswith(f"api.modules.{b}") for b in business))
                 for path, imports in files.items()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_business_modules_use_each_others_public_service_only() -> None:
    """A business module may call another's `service` (its public surface); models, routes,
    resources and helpers stay private to their module."""
    from api.manifest import MODULES, PLATFORM

    business = [m for m in MODULES if m not in PLATFORM]
    offenders: dict[str, list[str]] = {}
    for name in business:
        for path, imports in _module_imports(ROOT / "api" / "modules" / name).items():
            bad = [i for i in imports for other in business if other != name
                   and i.startswith(f"api.modules.{other}") and i != f"api.modules.{other}.service"]
            if bad:
                offenders[path] = sorted(bad)
    assert offenders == {}


def test_modules_register_nothing_at_import() -> None:
    """What a module contributes is declared in its manifest: no route or helper module calls the
    old import-time registries."""
    registries = ("declare(", "audit.register(", "outbox.subscriber(", "nav.register(", "register_command(")
    offenders = []
    for path in (ROOT / "api" / "modules").rglob("*.py"):
        text = path.read_text()
        offenders.extend(f"{path.relative_to(ROOT)}: {r}" for r in registries if r in text)
    assert offenders == []
