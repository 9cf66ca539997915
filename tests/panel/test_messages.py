"""Every failure has a human message and a next step."""

import pytest

from panel.api.errors import Offline, ServerError, SignedOut
from panel.auth.errors import (
    AuthorizationDenied,
    BackendMisconfigured,
    BackendUnreachable,
    IdTokenInvalid,
    KeychainUnavailable,
    SessionEnded,
    SignInCancelled,
    SignInTimedOut,
    TokenRefused,
)
from panel.messages import notice_for, notice_for_reason, signed_out_notice
from panel.ui.viewmodels import Action

URL = "https://q.example.com"

ERRORS = [
    SignInTimedOut(),
    AuthorizationDenied("access_denied", "not assigned"),
    AuthorizationDenied("server_error"),
    BackendUnreachable("refused"),
    Offline("refused"),
    BackendMisconfigured("no issuer"),
    IdTokenInvalid("bad signature"),
    TokenRefused("invalid_grant", "code expired"),
    SessionEnded("deactivated"),
    SignedOut("not_provisioned"),
    SignedOut("revoked"),
    SignedOut("invalid"),
    KeychainUnavailable("locked"),
    ServerError("500", 500),
    RuntimeError("boom"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_every_failure_has_a_message_and_a_next_step(error):
    notice = notice_for(error, URL)
    assert notice is not None and notice.title and notice.body and notice.next_step


def test_cancel_says_nothing():
    assert notice_for(SignInCancelled(), URL) is None


def test_refusal_walks_through_the_customer_guide_checklist():
    notice = notice_for(AuthorizationDenied("access_denied"), URL)
    for words in ("assigned to Quickture in Okta", "email", "domain"):
        assert words in notice.next_step
    assert notice.action is Action.SIGN_IN


def test_reasons():
    assert "deactivated" in notice_for_reason("deactivated").body
    assert "re-assign" in notice_for_reason("not_provisioned").next_step
    assert notice_for_reason("expired").title == "Please sign in again"
    assert notice_for(BackendUnreachable("x"), URL).action is Action.RETRY
    assert URL in notice_for(BackendUnreachable("x"), URL).body
    assert notice_for(BackendMisconfigured("x"), URL).action is Action.SETTINGS


def test_sign_out_notices():
    assert signed_out_notice(True).title == "Signed out"
    assert "could not be told" in signed_out_notice(False).body
