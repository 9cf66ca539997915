"""The auth session end to end against the fake backend, with the real loopback receiver."""

import json
import threading

import keyring
import pytest

from panel.auth.errors import AuthorizationDenied, BackendUnreachable, SessionEnded
from panel.auth.store import SERVICE, KeyringTokenStore
from tests.panel.auth.test_store import LockedKeyring
from tests.panel.fakes import BACKEND


def sign_in(services, fake, **browser_kwargs):
    pending = services.auth.begin_sign_in()
    browser = threading.Thread(target=fake.browser, args=(pending.url,), kwargs=browser_kwargs)
    browser.start()
    try:
        pending.finish()
    finally:
        browser.join(5)
    return pending


def stored(memory_keyring):
    return json.loads(memory_keyring.entries[(SERVICE, BACKEND)])


def test_sign_in_keeps_only_the_refresh_token_in_the_keychain(make_services, fake, memory_keyring):
    services = make_services()
    sign_in(services, fake)
    assert services.auth.signed_in
    entry = stored(memory_keyring)
    assert entry["sub"] == "user-1"
    assert entry["refresh_token"] in fake.refresh_tokens
    assert not any(t in json.dumps(entry) for t in fake.access_tokens)


def test_denied_sign_in_raises_and_stores_nothing(make_services, fake, memory_keyring):
    services = make_services()
    with pytest.raises(AuthorizationDenied):
        sign_in(services, fake, error="access_denied")
    assert not memory_keyring.entries and not services.auth.signed_in


def test_restart_restores_silently_and_rotates(make_services, fake, memory_keyring):
    sign_in(make_services(), fake)
    first = stored(memory_keyring)["refresh_token"]
    again = make_services()  # a new process: nothing in memory
    assert again.auth.restore() is True
    second = stored(memory_keyring)["refresh_token"]
    assert second != first and fake.refresh_tokens[first]["used"]
    assert again.api.me().email == "ada@acme.test"


def test_nothing_stored_means_nothing_to_restore(make_services):
    assert make_services().auth.restore() is False


def test_refreshes_before_expiry(make_services, fake, memory_keyring):
    now = [1_000_000.0]
    fake.clock = lambda: now[0]
    services = make_services()
    sign_in(services, fake)
    token = services.auth.access_token()
    now[0] += fake.access_lifetime - 30  # within the refresh margin
    assert services.auth.access_token() != token


def test_refresh_once_on_401_expired(make_services, fake):
    services = make_services()
    sign_in(services, fake)
    fake.expire_access_tokens()
    assert services.api.me().id == "user-1"
    assert fake.calls.count("POST /oauth/token") == 2


def test_concurrent_refreshes_never_reuse_a_refresh_token(make_services, fake):
    services = make_services()
    sign_in(services, fake)
    rejected = services.auth.access_token()
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(services.auth.refresh_after_401(rejected)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(set(results)) == 1
    assert not fake.revoked_families  # no reuse was detected


def test_deactivated_at_restore_deletes_the_entry(make_services, fake, memory_keyring):
    sign_in(make_services(), fake)
    fake.user_state = "deactivated"
    with pytest.raises(SessionEnded) as info:
        make_services().auth.restore()
    assert info.value.reason == "deactivated"
    assert not memory_keyring.entries


def test_offline_at_restore_keeps_the_entry(make_services, fake, memory_keyring):
    sign_in(make_services(), fake)
    fake.down = True
    with pytest.raises(BackendUnreachable):
        make_services().auth.restore()
    assert memory_keyring.entries


def test_sign_out_revokes_and_deletes(make_services, fake, memory_keyring):
    services = make_services()
    sign_in(services, fake)
    result = services.auth.sign_out()
    assert result.server_told and not fake.live_families()
    assert not memory_keyring.entries and not services.auth.signed_in


def test_sign_out_offline_still_forgets_locally(make_services, fake, memory_keyring):
    services = make_services()
    sign_in(services, fake)
    fake.down = True
    assert services.auth.sign_out().server_told is False
    assert not memory_keyring.entries and not services.auth.signed_in


def test_locked_keychain_keeps_the_session_for_this_run(make_services, fake):
    services = make_services(store=KeyringTokenStore(LockedKeyring()))
    sign_in(services, fake)
    assert services.auth.signed_in and not services.auth.persistent
    assert "refused" in services.auth.keychain_problem
    assert services.api.me().id == "user-1"


def test_a_wrong_issuer_in_the_callback_is_refused(make_services, fake):
    services = make_services()
    pending = services.auth.begin_sign_in()
    with pytest.raises(AuthorizationDenied):
        services.auth._finish_sign_in("code", "https://evil.example", pending._request)
    pending.close()
    assert keyring.get_keyring().get_password(SERVICE, BACKEND) is None
