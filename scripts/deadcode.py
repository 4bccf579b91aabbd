"""`make lint`'s unused-code check: vulture over the given paths, reporting functions, methods, classes,
properties and imports nothing calls (docs/security.md). Variables and attributes are left out: pydantic
fields, ORM columns and dataclass fields are read by the libraries, which vulture cannot see. Route
handlers, validators and registered functions are used through their decorators. What is used only from
outside the scanned code (tests, templates, the engine, libraries' callbacks) is named in
`scripts/vulture_whitelist.py`, each with its reason."""

from __future__ import annotations

import sys
from pathlib import Path

import vulture

DECORATORS = ["@*.get", "@*.post", "@*.put", "@*.patch", "@*.delete", "@*.api_route", "@*.exception_handler",
              "@_when", "@*.listens_for", "@*validator", "@*_serializer", "@register", "@*.defn", "@*.run",
              "@*.signal", "@*.query", "@*.update", "@*.command", "@*.callback", "@property", "@*.setter",
              "@*.cached_property"]
REPORTED = ("function", "method", "class", "property", "import")


def main(paths: list[str]) -> int:
    args = [p for p in paths if not p.startswith("--exclude=")]
    exclude = [e for p in paths if p.startswith("--exclude=") for e in p.removeprefix("--exclude=").split(",") if e]
    scanner = vulture.Vulture(ignore_decorators=DECORATORS)
    scanner.scavenge([*args, str(Path(__file__).with_name("vulture_whitelist.py"))], exclude=exclude)
    found = [item for item in scanner.get_unused_code(min_confidence=60) if item.typ in REPORTED]
    for item in found:
        print(item.get_report())
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
