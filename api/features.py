"""Feature strings: matching with wildcards and the catalogue every module contributes to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    id: str
    title: str
    module: str


@dataclass(frozen=True)
class ModuleInfo:
    id: str
    title: str


CATALOGUE: dict[str, Feature] = {}
MODULES: dict[str, ModuleInfo] = {}


def declare(module: str, title: str, features: dict[str, str]) -> None:
    """Called by each module at import time: `declare("example", "Example", {"example.todos.view": ...})`."""
    MODULES[module] = ModuleInfo(module, title)
    for fid, ftitle in features.items():
        CATALOGUE[fid] = Feature(fid, ftitle, module)


def grants(granted: Iterable[str], required: str) -> bool:
    """`*` grants everything; `mod.*` grants `mod` and everything under `mod.`."""
    for g in granted:
        if g == "*" or g == required:
            return True
        if g.endswith(".*"):
            base = g[:-2]
            if required == base or required.startswith(base + "."):
                return True
    return False


def has_all(granted: Iterable[str], required: Iterable[str]) -> bool:
    granted = list(granted)
    return all(grants(granted, r) for r in required)


def known(feature: str) -> bool:
    """A feature (or wildcard) is kept in an ACL only when it can grant something declared."""
    if feature == "*":
        return True
    if feature.endswith(".*"):
        base = feature[:-2]
        return base in MODULES or any(f == base or f.startswith(base + ".") for f in CATALOGUE)
    return feature in CATALOGUE
