"""`python -m api.cli migrate|seed`: database set-up used by `make run` and docker-compose."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from api.db import sessionmaker
from api.settings import ROOT, get_settings


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(Path(ROOT) / "alembic.ini"))
    config.set_main_option("script_location", str(Path(ROOT) / "migrations"))
    if url:
        config.attributes["url"] = url
    return config


def migrate() -> None:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # "heads": modules developed side by side may branch the history until a merge revision joins them.
    command.upgrade(alembic_config(settings.db_url), "heads")


async def _seed() -> None:
    from api.app import load_models
    from api.seed import seed

    load_models()
    settings = get_settings()
    async with sessionmaker()() as session:
        result = await seed(session, settings)
    state = "created" if result.created else "existing"
    print(f"Admin ({state}): {result.email}")
    print(f"Password: {result.password if result.password else '(set by STEPWISE_ADMIN_PASSWORD)'}")


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("migrate", "seed"):
        print("usage: python -m api.cli migrate|seed", file=sys.stderr)
        return 2
    if argv[0] == "migrate":
        migrate()
    else:
        asyncio.run(_seed())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
