import pytest

from backend.domain import Conflict, Invalid, admins, orgs
from backend.store.models import Admin


@pytest.fixture
def org_id(runtime):
    with runtime.db.write() as s:
        return orgs.create_org(s, "Acme", ["acme.com"], actor="t").id


def test_password_hashed_with_argon2_and_verified(runtime, org_id):
    with runtime.db.write() as s:
        a = admins.create_admin(
            s, org_id=org_id, email="IT@Acme.com", password="correct horse battery", actor="t"
        )
    assert a.email == "it@acme.com"
    with runtime.db.read() as s:
        assert s.get(Admin, a.id).password_hash.startswith("$argon2id$")
    with runtime.db.write() as s:
        assert admins.verify_password(s, "it@acme.com", "correct horse battery") == a
        assert admins.verify_password(s, "it@acme.com", "wrong password!!") is None
        assert admins.verify_password(s, "nobody@acme.com", "correct horse battery") is None


def test_short_password_and_duplicate_email_refused(runtime, org_id):
    with pytest.raises(Invalid, match="12"), runtime.db.write() as s:
        admins.create_admin(s, org_id=org_id, email="a@acme.com", password="short", actor="t")
    with runtime.db.write() as s:
        admins.create_admin(s, org_id=org_id, email="a@acme.com", password="x" * 12, actor="t")
    with pytest.raises(Conflict), runtime.db.write() as s:
        admins.create_admin(s, org_id=org_id, email="A@acme.com", password="y" * 12, actor="t")
