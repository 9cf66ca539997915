import pytest

from backend.domain import Conflict, Invalid, NotFound, orgs
from backend.domain.audit import list_entries


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme.COM", "acme.com"),
        ("@acme.com.", "acme.com"),
        ("  sub.acme.co.uk ", "sub.acme.co.uk"),
        ("Bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_domains_are_normalised_to_lowercase_idna(raw, expected):
    assert orgs.normalise_domain(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "acme",
        "-acme.com",
        "acme..com",
        "a b.com",
        "10.0.0.1",
        "x" * 64 + ".com",
        "acme.com/path",
    ],
)
def test_malformed_domains_are_refused(raw):
    with pytest.raises(Invalid):
        orgs.normalise_domain(raw)


@pytest.mark.parametrize("raw", ["gmail.com", "Outlook.com", "yahoo.co.uk", "icloud.com"])
def test_public_mail_domains_are_refused_with_a_reason(raw):
    with pytest.raises(Invalid, match="public email provider"):
        orgs.normalise_domain(raw)


def test_domain_of_email():
    assert orgs.domain_of_email(" Ada@ACME.com ") == "acme.com"
    assert orgs.domain_of_email("ada@gmail.com") == "gmail.com"
    with pytest.raises(Invalid):
        orgs.domain_of_email("not-an-email")


def test_a_domain_belongs_to_one_organization(any_runtime):
    with any_runtime.db.write() as s:
        a = orgs.create_org(s, "A", ["acme.com"], actor="t")
        b = orgs.create_org(s, "B", [], actor="t")
    with pytest.raises(Conflict, match="another organization"), any_runtime.db.write() as s:
        orgs.add_domain(s, b.id, "ACME.com", actor="t")
    with any_runtime.db.write() as s:  # adding it again to its owner is harmless
        assert orgs.add_domain(s, a.id, "acme.com", actor="t") == "acme.com"
    with any_runtime.db.read() as s:
        assert orgs.org_for_domain(s, "acme.com") == a.id
        assert orgs.get_org(s, b.id).domains == ()


def test_create_is_all_or_nothing(runtime):
    with pytest.raises(Invalid), runtime.db.write() as s:
        orgs.create_org(s, "Half", ["half.com", "gmail.com"], actor="t")
    with runtime.db.read() as s:
        assert orgs.list_orgs(s) == []
        assert orgs.org_for_domain(s, "half.com") is None


def test_changes_are_audited(runtime):
    with runtime.db.write() as s:
        org = orgs.create_org(s, "Acme", ["acme.com"], actor="admin@acme.com")
        orgs.remove_domain(s, org.id, "acme.com", actor="admin@acme.com")
    with runtime.db.read() as s:
        actions = [e.action for e in list_entries(s, org.id)]
    assert actions == ["org.domain.remove", "org.domain.add", "org.create"]


def test_unknown_org(runtime):
    with pytest.raises(NotFound), runtime.db.read() as s:
        orgs.get_org(s, "nope")
