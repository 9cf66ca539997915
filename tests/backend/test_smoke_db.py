from backend.domain import orgs
from backend.domain.audit import CLI_ACTOR


def test_org_roundtrip_on_both_databases(any_runtime):
    with any_runtime.db.write() as s:
        org = orgs.create_org(s, "Acme", ["acme.test"], actor=CLI_ACTOR)
    with any_runtime.db.read() as s:
        assert orgs.org_for_domain(s, "acme.test") == org.id
