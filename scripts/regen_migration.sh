#!/usr/bin/env bash
# Regenerates the initial Alembic migration from the models against a throwaway empty database.
# Only valid while no database outside development exists (before the first release); after that,
# add new revisions with `alembic revision --autogenerate -m "..."` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/stepwise-migration.lock
flock 9
tmp=$(mktemp -d)
rm -f migrations/versions/*_platform_foundation.py
STEPWISE_DATA_DIR="$tmp" STEPWISE_DATABASE_URL="sqlite+aiosqlite:///$tmp/empty.db" \
  .venv/bin/alembic revision --autogenerate -m "platform foundation" >/dev/null
.venv/bin/ruff check --fix -q migrations/versions >/dev/null || true
rm -rf "$tmp"
ls migrations/versions
