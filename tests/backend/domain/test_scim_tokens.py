import threading

import pytest
import sqlalchemy as sa

from backend.domain import LimitReached, NotFound, connections, orgs, scim_tokens
from backend.store.models import ScimToken


@pytest.fixture
def conn_id(any_runtime):
    rt = any_runtime
    with rt.db.write() as s:
        org = orgs.create_org(s, "Acme", ["acme.com"], actor="t")
        return connections.create_connection(
            s,
            rt.box,
            org_id=org.id,
            issuer="a.okta.com",
            client_id="x",
            client_secret="s",
            actor="t",
        ).id


def test_token_is_long_prefixed_and_stored_only_as_hash(any_runtime, conn_id):
    with any_runtime.db.write() as s:
        new = scim_tokens.create_token(s, conn_id, actor="t")
    assert new.token.startswith("qtscim_") and len(new.token) >= 7 + 43
    assert new.info.display_prefix == new.token[:13]
    with any_runtime.db.read() as s:
        row = s.get(ScimToken, new.info.id)
        assert row.token_hash == scim_tokens.hash_token(new.token) != new.token
        auth = scim_tokens.authenticate(s, new.token)
    assert auth is not None and auth.connection_id == conn_id


@pytest.mark.parametrize("bad", ["", "qtscim_", "Bearer x", "qtscim_" + "A" * 43, "x" * 500])
def test_unknown_tokens_do_not_authenticate(any_runtime, conn_id, bad):
    with any_runtime.db.read() as s:
        assert scim_tokens.authenticate(s, bad) is None


def test_two_tokens_at_most_and_delete_frees_a_slot(any_runtime, conn_id):
    rt = any_runtime
    with rt.db.write() as s:
        first = scim_tokens.create_token(s, conn_id, actor="t")
        scim_tokens.create_token(s, conn_id, actor="t")
    with pytest.raises(LimitReached, match="delete one"), rt.db.write() as s:
        scim_tokens.create_token(s, conn_id, actor="t")
    with rt.db.write() as s:
        scim_tokens.delete_token(s, first.info.id, actor="t")
    with rt.db.read() as s:
        assert scim_tokens.authenticate(s, first.token) is None
    with rt.db.write() as s:
        scim_tokens.create_token(s, conn_id, actor="t")
    with rt.db.read() as s:
        assert len(scim_tokens.list_tokens(s, conn_id)) == 2
        assert connections.get_connection(s, conn_id).live_tokens == 2


def test_limit_holds_under_parallel_creation(any_runtime, conn_id):
    rt = any_runtime
    barrier = threading.Barrier(8)
    made, refused, errors = [], [], []

    def create() -> None:
        barrier.wait()
        try:
            with rt.db.write() as s:
                made.append(scim_tokens.create_token(s, conn_id, actor="t"))
        except LimitReached:
            refused.append(1)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(made) == 2 and len(refused) == 6
    with rt.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ScimToken)) == 2


def test_touch_records_use_at_most_once_a_minute(any_runtime, conn_id):
    rt = any_runtime
    with rt.db.write() as s:
        new = scim_tokens.create_token(s, conn_id, actor="t")
    with rt.db.write() as s:
        auth = scim_tokens.authenticate(s, new.token)
        assert scim_tokens.touch(s, auth, "Okta SCIM Client 1.0.0")
    with rt.db.write() as s:
        auth = scim_tokens.authenticate(s, new.token)
        assert auth.last_used_at is not None
        assert not scim_tokens.touch(s, auth, "Okta SCIM Client 1.0.0")
    with rt.db.read() as s:
        info = scim_tokens.list_tokens(s, conn_id)[0]
        assert info.last_used_by == "Okta SCIM Client 1.0.0"
        assert connections.get_connection(s, conn_id).first_scim_request_at is not None


def test_delete_unknown_token(any_runtime, conn_id):
    with pytest.raises(NotFound), any_runtime.db.write() as s:
        scim_tokens.delete_token(s, "nope", actor="t")
