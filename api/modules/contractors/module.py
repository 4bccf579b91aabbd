"""The Contractors module (being built: its manifest grows with its collections)."""

from __future__ import annotations

from api.manifest import Module

module = Module(id="contractors", title="Contractors")
