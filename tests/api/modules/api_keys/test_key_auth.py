"""A key issued through the API authenticates as its roles, end to end, and stops working when
revoked, expired or wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from api.db import sessionmaker
from api.modules.api_keys.models import ApiKey
from api.modules.audit_logs.models import ActionLog
from api.modules.auth.models import Role
from tests.fixtures import Caller, World

KEYS = "/api/api_keys/keys"
ORGS = "/api/directory/organizations"


async def issue(world: World, features: list[str]) -> tuple[Caller, str, str]:
    """An administrator and a key whose only role grants `features`."""
    admin = await world.user(["*"])
    role = await world.role("integration", features)
    r = await admin.post(KEYS, json={"name": "integration", "roles": [role]})
    assert r.status_code == 201, r.text
    return admin, r.json()["id"], r.json()["secret"]


async def test_key_acts_with_its_roles_features(world: World) -> None:
    _, _, secret = await issue(world, ["api_keys.view", "directory.organizations.view"])
    for headers in ({"X-API-Key": secret}, {"Authorization": f"ApiKey {secret}"}):
        r = await world.client.get(KEYS, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["items"][0]["name"] == "integration"
        assert (await world.client.get(ORGS, headers=headers)).status_code == 200
        r = await world.client.post(KEYS, headers=headers, json={"name": "more"})
        assert r.status_code == 403 and r.json()["requiredFeatures"] == ["api_keys.create"]
        assert (await world.client.get("/api/directory/tenants", headers=headers)).status_code == 403


async def test_last_used_at_is_recorded(world: World) -> None:
    admin, key_id, secret = await issue(world, ["directory.organizations.view"])
    assert (await admin.get(KEYS)).json()["items"][0]["lastUsedAt"] is None
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert (await world.client.get(ORGS, headers={"X-API-Key": secret})).status_code == 200
    used = (await admin.get(KEYS)).json()["items"][0]["lastUsedAt"]
    assert used is not None
    used_at = datetime.fromisoformat(used)
    assert (used_at if used_at.tzinfo else used_at.replace(tzinfo=UTC)) >= before


async def test_wrong_secret_is_401(world: World) -> None:
    _, _, secret = await issue(world, ["directory.organizations.view"])
    tampered = secret[:-1] + ("0" if secret[-1] != "0" else "1")
    for headers in ({"X-API-Key": tampered}, {"Authorization": f"ApiKey {tampered}"}, {"X-API-Key": "omk_nope"},
                    {"Authorization": "ApiKey "}):
        r = await world.client.get(ORGS, headers=headers)
        assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}, headers


async def test_revoked_key_is_401(world: World) -> None:
    admin, key_id, secret = await issue(world, ["directory.organizations.view"])
    assert (await world.client.get(ORGS, headers={"X-API-Key": secret})).status_code == 200
    assert (await admin.delete(KEYS, params={"id": key_id})).json() == {"success": True}
    r = await world.client.get(ORGS, headers={"X-API-Key": secret})
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}


async def test_expired_key_is_401(world: World) -> None:
    _, key_id, secret = await issue(world, ["directory.organizations.view"])
    async with sessionmaker()() as s:
        await s.execute(update(ApiKey).where(ApiKey.id == key_id)
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        await s.commit()
    r = await world.client.get(ORGS, headers={"X-API-Key": secret})
    assert r.status_code == 401 and r.json() == {"error": "Unauthorized"}


async def test_a_deleted_role_no_longer_grants(world: World) -> None:
    _, key_id, secret = await issue(world, ["directory.organizations.view"])
    async with sessionmaker()() as s:
        key = await s.get(ApiKey, key_id)
        assert key is not None and key.roles_json
        await s.execute(update(Role).where(Role.id.in_(key.roles_json)).values(deleted_at=datetime.now(UTC)))
        await s.commit()
    assert (await world.client.get(ORGS, headers={"X-API-Key": secret})).status_code == 403


async def test_writes_through_a_key_are_audited_as_the_key(world: World) -> None:
    _, key_id, secret = await issue(world, ["directory.organizations.manage"])
    r = await world.client.post(ORGS, headers={"X-API-Key": secret}, json={"name": "By key"})
    assert r.status_code == 201, r.text
    async with sessionmaker()() as s:
        entry = (await s.execute(select(ActionLog).where(ActionLog.resource_id == r.json()["id"]))).scalars().one()
    assert entry.context_json == {"isApiKey": True, "keyId": key_id} and entry.tenant_id == world.tenant_id
