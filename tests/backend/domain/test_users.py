"""The shared user service: deactivation ends every session and refresh token in the same
transaction; deletion cascades; the sign-in lookup; the Dashboard list."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend.domain import users
from backend.domain.errors import NotFound
from backend.domain.scim_tokens import authenticate
from backend.runtime import Runtime
from backend.scim import users as scim_users
from backend.store.models import (
    AuditEntry,
    BrowserSession,
    OAuthClient,
    RefreshToken,
    ScimCounter,
    ScimUser,
)
from backend.store.models.base import utcnow
from tests.backend.scim.conftest import Tenant, make_tenant


def provision(rt: Runtime, tenant: Tenant, user_name: str, **extra: object) -> str:
    body = {
        "userName": user_name,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": f"mail.{user_name}", "primary": True}],
        **extra,
    }
    with rt.db.write() as s:
        auth = authenticate(s, tenant.token)
        assert auth is not None
        return str(scim_users.create(s, auth, body).id)


def give_access(rt: Runtime, tenant: Tenant, user_id: str) -> None:
    now = utcnow()
    with rt.db.write() as s:
        client_id = s.scalar(sa.select(OAuthClient.client_id))
        s.add(
            RefreshToken(
                token_hash=f"h-{user_id}",
                family_id="f",
                client_id=client_id,
                user_id=user_id,
                scope="openid",
                expires_at=now + timedelta(days=1),
            )
        )
        s.add(
            BrowserSession(
                id_hash=f"s-{user_id}",
                org_id=tenant.org_id,
                user_id=user_id,
                csrf_token="c",
                expires_at=now + timedelta(hours=1),
            )
        )


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def test_deactivate_revokes_tokens_and_sessions(runtime: Runtime, tenant: Tenant) -> None:
    uid = provision(runtime, tenant, "ada@acme.test")
    other = provision(runtime, tenant, "bob@acme.test")
    give_access(runtime, tenant, uid)
    give_access(runtime, tenant, other)
    with runtime.db.write() as s:
        info = users.deactivate_user(s, uid, actor="admin@acme.test", org_id=tenant.org_id)
    assert info.active is False and info.deactivated_at is not None
    with runtime.db.read() as s:
        revoked = dict(s.execute(sa.select(RefreshToken.user_id, RefreshToken.revoked_at)).all())
        sessions = dict(
            s.execute(sa.select(BrowserSession.user_id, BrowserSession.revoked_at)).all()
        )
        row = s.get(ScimUser, uid)
        assert row is not None and row.version == 2
        audit = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.deactivate"))
        (entry,) = audit.all()
        assert entry.actor == "admin@acme.test" and entry.detail["refresh_tokens_revoked"] == 1
    assert revoked[uid] is not None and sessions[uid] is not None
    assert revoked[other] is None and sessions[other] is None

    with runtime.db.write() as s:
        info = users.reactivate_user(s, uid, actor="cli")
    assert info.active is True and info.deactivated_at is None


def test_deactivation_rolls_back_as_one_transaction(runtime: Runtime, tenant: Tenant) -> None:
    uid = provision(runtime, tenant, "ada@acme.test")
    give_access(runtime, tenant, uid)
    with pytest.raises(RuntimeError), runtime.db.write() as s:
        users.deactivate_user(s, uid, actor="cli")
        raise RuntimeError("boom")
    with runtime.db.read() as s:
        assert s.scalar(sa.select(RefreshToken.revoked_at)) is None
        assert users.get_user(s, uid).active is True  # type: ignore[union-attr]


def test_other_orgs_cannot_deactivate(runtime: Runtime, tenant: Tenant) -> None:
    uid = provision(runtime, tenant, "ada@acme.test")
    other = make_tenant(runtime, "Other", "other.test")
    with pytest.raises(NotFound), runtime.db.write() as s:
        users.deactivate_user(s, uid, actor="x", org_id=other.org_id)


def test_delete_cascades_and_counts(runtime: Runtime, tenant: Tenant) -> None:
    uid = provision(runtime, tenant, "ada@acme.test")
    give_access(runtime, tenant, uid)
    with runtime.db.write() as s:
        users.delete_user(s, uid, actor="cli")
    with runtime.db.read() as s:
        assert users.get_user(s, uid) is None
        assert s.scalar(sa.select(sa.func.count()).select_from(RefreshToken)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(BrowserSession)) == 0
        assert s.scalar(sa.select(ScimCounter.users)) == 0


def test_find_for_login(runtime: Runtime, tenant: Tenant) -> None:
    uid = provision(runtime, tenant, "Ada@Acme.test")
    by_mail = provision(runtime, tenant, "00u123")  # Okta login that is not an email
    other = make_tenant(runtime, "Other", "other.test")
    provision(runtime, other, "ada@acme.test")
    with runtime.db.read() as s:
        assert users.find_for_login(s, tenant.connection_id, " ADA@acme.TEST ").id == uid  # type: ignore[union-attr]
        assert users.find_for_login(s, tenant.connection_id, "MAIL.00u123").id == by_mail  # type: ignore[union-attr]
        assert users.find_for_login(s, tenant.connection_id, "nobody@acme.test") is None
        assert users.find_for_login(s, tenant.connection_id, "") is None


def test_list_users_searches_and_pages(runtime: Runtime, tenant: Tenant) -> None:
    for i in range(5):
        provision(runtime, tenant, f"user{i}@acme.test", displayName=f"Editor {i}")
    provision(runtime, tenant, "zed@acme.test", displayName="Zed 100%_")
    other = make_tenant(runtime, "Other", "other.test")
    provision(runtime, other, "user9@other.test")
    with runtime.db.write() as s:
        users.record_sign_in(
            s, s.scalar(sa.select(ScimUser.id).where(ScimUser.user_name == "zed@acme.test"))
        )
    with runtime.db.read() as s:
        page = users.list_users(s, tenant.org_id, limit=4)
        assert page.total == 6 and len(page.users) == 4 and page.has_next
        assert [u.user_name for u in page.users][0] == "user0@acme.test"
        rest = users.list_users(s, tenant.org_id, offset=4, limit=4)
        assert len(rest.users) == 2 and not rest.has_next
        found = users.list_users(s, tenant.org_id, query="EDITOR 3")
        assert [u.user_name for u in found.users] == ["user3@acme.test"]
        assert users.list_users(s, tenant.org_id, query="100%_").total == 1
        assert users.list_users(s, tenant.org_id, query="%").total == 1
        zed = users.list_users(s, tenant.org_id, query="zed").users[0]
        assert zed.last_sign_in_at is not None and zed.name == "Zed 100%_"
