"""`python -m api.cli migrate|seed|create-tenant|webhook-secret`: database set-up used by `make run` and
docker-compose, tenant provisioning, and the secret a tenant's webhook receivers verify signatures with."""

from __future__ import annotations

import argparse
import asyncio
import secrets
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


async def _create_tenant(name: str, email: str, password: str | None) -> int:
    from api.app import load_models
    from api.seed import EmailTaken, provision_tenant

    load_models()
    secret = password or secrets.token_urlsafe(12)
    async with sessionmaker()() as session:
        try:
            user = await provision_tenant(session, name=name, admin_email=email, password=secret)
        except EmailTaken as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        await session.commit()
    print(f"Tenant {name!r} ({user.tenant_id}), admin {user.email}")
    if not password:
        print(f"Password: {secret}")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.cli", description="Database set-up and administration.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply the migrations")
    commands.add_parser("seed", help="create the bootstrap tenant and its super administrator (idempotent)")
    tenant = commands.add_parser("create-tenant", help="create a tenant with its root organization and admin")
    tenant.add_argument("name")
    tenant.add_argument("admin_email")
    tenant.add_argument("--password", help="the admin's password (default: generated and printed)")
    webhook = commands.add_parser("webhook-secret",
                                  help="print the secret CALL_WEBHOOK signs a tenant's deliveries with")
    webhook.add_argument("tenant_id")
    args = parser.parse_args(argv)
    if args.command == "webhook-secret":
        print(get_settings().webhook_secret(args.tenant_id))
    elif args.command == "migrate":
        migrate()
    elif args.command == "seed":
        asyncio.run(_seed())
    else:
        return asyncio.run(_create_tenant(args.name, args.admin_email, args.password))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
