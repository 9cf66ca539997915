import pytest
import sqlalchemy as sa

from backend.domain import Invalid, NotFound, connections, orgs
from backend.store.models import Connection, ScimUser


@pytest.fixture
def org(runtime):
    with runtime.db.write() as s:
        return orgs.create_org(s, "Acme", ["acme.com"], actor="t")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("acme.okta.com", "https://acme.okta.com"),
        ("https://acme.okta.com/", "https://acme.okta.com"),
        ("https://acme.okta.com/oauth2/default", "https://acme.okta.com/oauth2/default"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    ],
)
def test_issuer_normalised(raw, expected):
    assert connections.normalise_issuer(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "ftp://acme.okta.com", "http://acme.okta.com", "https://acme.okta.com?x=1", "https://"],
)
def test_bad_issuers_refused(raw):
    with pytest.raises(Invalid):
        connections.normalise_issuer(raw)


def test_client_secret_is_encrypted_at_rest(runtime, org):
    with runtime.db.write() as s:
        info = connections.create_connection(
            s,
            runtime.box,
            org_id=org.id,
            issuer="acme.okta.com",
            client_id="0oa1",
            client_secret="super-secret-value",
            actor="t",
        )
    assert info.id.startswith("conn_") and len(info.id) == 17
    assert info.has_client_secret and info.setup_state == "oidc"
    with runtime.db.read() as s:
        stored = s.get(Connection, info.id).client_secret_enc
        assert "super-secret-value" not in stored
        assert connections.reveal_client_secret(s, runtime.box, info.id) == "super-secret-value"
    raw = (runtime.settings.data_dir / "quickture.db").read_bytes()
    assert b"super-secret-value" not in raw


def test_update_and_setup_state(runtime, org):
    with runtime.db.write() as s:
        c = connections.create_connection(
            s,
            runtime.box,
            org_id=org.id,
            issuer="a.okta.com",
            client_id="x",
            client_secret=None,
            actor="t",
        )
        c2 = connections.update_connection(
            s, runtime.box, c.id, actor="t", client_id="y", client_secret="new"
        )
        assert c2.client_id == "y" and c2.has_client_secret
        assert connections.set_setup_state(s, c.id, "complete", actor="t").is_complete
        with pytest.raises(Invalid):
            connections.set_setup_state(s, c.id, "bogus", actor="t")


def test_other_orgs_connection_is_not_found(runtime, org):
    with runtime.db.write() as s:
        other = orgs.create_org(s, "Other", [], actor="t")
        c = connections.create_connection(
            s,
            runtime.box,
            org_id=org.id,
            issuer="a.okta.com",
            client_id="x",
            client_secret=None,
            actor="t",
        )
    with pytest.raises(NotFound), runtime.db.read() as s:
        connections.get_connection(s, c.id, org_id=other.id)


def test_delete_removes_provisioned_users(any_runtime):
    rt = any_runtime
    with rt.db.write() as s:
        org = orgs.create_org(s, "Acme", ["acme.com"], actor="t")
        c = connections.create_connection(
            s,
            rt.box,
            org_id=org.id,
            issuer="a.okta.com",
            client_id="x",
            client_secret="s",
            actor="t",
        )
        s.add(
            ScimUser(
                connection_id=c.id,
                org_id=org.id,
                user_name="ada@acme.com",
                user_name_norm="ada@acme.com",
                seq=1,
            )
        )
    with rt.db.write() as s:
        assert connections.delete_connection(s, c.id, actor="t") == 1
    with rt.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ScimUser)) == 0
        assert connections.list_connections(s) == []
