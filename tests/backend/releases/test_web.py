"""``GET /api/v1/releases/latest`` (docs/api.md) and ``GET /downloads/{id}``: bearer token or
browser session, and an active licence, required."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from backend.app import create_app
from backend.oauth.keys import KeyStore
from backend.oauth.tokens import encode_access_token
from backend.releases import store
from backend.store.models import Organization
from tests.backend.dashboard.browser import make_connection, make_org, make_user
from tests.backend.dashboard.conftest import BASE, sign_in


@pytest.fixture
async def client(runtime):
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
        yield c


@pytest.fixture
def world(runtime, tmp_path: Path):
    org = make_org(runtime, "Acme", ("acme.test",))
    cid = make_connection(runtime, org, issuer="https://acme.okta.com")
    user = make_user(runtime, org, cid, "ada@acme.test", "Ada L")
    src = tmp_path / "quickture-avid.zip"
    src.write_bytes(b"avid build" * 1000)
    release = store.publish(
        runtime,
        product="avid",
        platform="macos",
        version="2.4.1",
        source=src,
        notes="Faster scene detection.",
        actor="cli",
    )
    return {"org": org, "user": user, "release": release, "bytes": src.read_bytes()}


def access_token(runtime, org: str, user: str) -> str:
    with runtime.db.write() as s:
        key = KeyStore(runtime.box).current(s)
    token, _ = encode_access_token(
        key,
        issuer=runtime.settings.base_url,
        sub=user,
        org=org,
        scope="openid profile email",
        client_id="quickture-panel",
        sid=None,
    )
    return token


async def test_latest_needs_a_token(client, world):
    r = await client.get("/api/v1/releases/latest")
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    assert r.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    r = await client.get("/api/v1/releases/latest", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["reason"] == "invalid"


async def test_latest_with_the_panels_bearer_token_matches_the_contract(client, runtime, world):
    headers = {"Authorization": "Bearer " + access_token(runtime, world["org"], world["user"])}
    r = await client.get("/api/v1/releases/latest", headers=headers)
    assert r.status_code == 200, r.text
    (item,) = r.json()["releases"]
    rel = world["release"]
    assert item == {
        "id": rel.id,
        "product": "avid",
        "platform": "macos",
        "version": "2.4.1",
        "published_at": rel.published_at.isoformat(),
        "size": len(world["bytes"]),
        "sha256": hashlib.sha256(world["bytes"]).hexdigest(),
        "notes": "Faster scene detection.",
        "download_url": f"{BASE}/downloads/{rel.id}",
    }
    assert (
        await client.get("/api/v1/releases/latest?platform=windows", headers=headers)
    ).json() == {"releases": []}
    bad = await client.get("/api/v1/releases/latest?platform=linux", headers=headers)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"

    # the same token downloads the file
    d = await client.get(item["download_url"].removeprefix(BASE), headers=headers)
    assert d.status_code == 200 and hashlib.sha256(d.content).hexdigest() == item["sha256"]
    assert "attachment" in d.headers["content-disposition"]


async def test_deactivated_users_token_is_refused(client, runtime, world):
    from backend.domain import users

    token = access_token(runtime, world["org"], world["user"])
    with runtime.db.write() as s:
        users.deactivate_user(s, world["user"], actor="test")
    r = await client.get(
        f"/downloads/{world['release'].id}", headers={"Authorization": "Bearer " + token}
    )
    assert r.status_code == 401 and r.json()["reason"] == "deactivated"


async def test_download_with_a_browser_session_and_the_licence(client, runtime, world):
    path = f"/downloads/{world['release'].id}"
    r = await client.get(path)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    sign_in(client, runtime, world["org"], user_id=world["user"])
    r = await client.get(path)
    assert r.status_code == 200 and r.content == world["bytes"]
    with runtime.db.write() as s:
        s.execute(sa.update(Organization).values(license_active=False))
    r = await client.get(path)
    assert r.status_code == 403 and "licence is not active" in r.text
    assert (await client.get("/downloads/nope")).status_code in (403, 404)


async def test_unknown_release_is_404(client, runtime, world):
    sign_in(client, runtime, world["org"], user_id=world["user"])
    r = await client.get("/downloads/0123456789abcdef")
    assert r.status_code == 404 and "Traceback" not in r.text
