"""Joins the migrations of the modules built side by side (each branched from the shared tags
revision); nothing to change in the database.

Revision ID: cb44086a5baa
Revises: d826af288d88, 905356d12f06, a3f1c2d4e5b6, a9c1d2e3f4b5, b4e2d3f5a6c7, c5f3e4a6b7d8, d6a4f5b7c8e9, d7a1b2c3e4f5, e7b5c6d8f9a0, e8b2c3d4f5a6, 4bc21668bb2c, e7b5c6d8f9a1, f8c6d7e9a0b2, b1c2d3e4f5a7, c2d3e4f5a6b8, f181040bda0e, e5f6a7b8c9d0
Create Date: 2026-12-04 20:42:09.899816
"""
from __future__ import annotations

revision = 'cb44086a5baa'
down_revision = ('d826af288d88', '905356d12f06', 'a3f1c2d4e5b6', 'a9c1d2e3f4b5', 'b4e2d3f5a6c7', 'c5f3e4a6b7d8', 'd6a4f5b7c8e9', 'd7a1b2c3e4f5', 'e7b5c6d8f9a0', 'e8b2c3d4f5a6', '4bc21668bb2c', 'e7b5c6d8f9a1', 'f8c6d7e9a0b2', 'b1c2d3e4f5a7', 'c2d3e4f5a6b8', 'f181040bda0e', 'e5f6a7b8c9d0')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
