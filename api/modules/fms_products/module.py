"""The Fms Products module (being built: its manifest grows with its collections)."""

from __future__ import annotations

from api.manifest import Module

module = Module(id="fms_products", title="Fms Products")
