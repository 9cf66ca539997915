"""What to tell the editor for every failure: a human message and the next step.

The next steps follow the troubleshooting list of the customer guide (assigned to Quickture
in Okta? the email of your Okta account? your email's domain registered by your organization?).
"""

from __future__ import annotations

from panel.api.errors import ApiError, Offline, ServerError, SignedOut
from panel.auth.errors import (
    AuthError,
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
from panel.ui.viewmodels import Action, Level, Notice

__all__ = [
    "keychain_notice",
    "notice_for",
    "notice_for_reason",
    "signed_out_notice",
]

OKTA_CHECKLIST = (
    "Check that you are assigned to Quickture in Okta, that you signed in with the email of "
    "your Okta account, and that your email's domain is one your organization registered with "
    "Quickture. If all of that is right, ask your IT admin."
)


def notice_for_reason(reason: str, description: str | None = None) -> Notice:
    """Why the backend ended the session (the ``reason`` of a 401 or a refused refresh)."""
    if reason == "deactivated":
        return Notice(
            "You've been signed out",
            "Your Quickture account was deactivated by your organization (in Okta).",
            "Ask your IT admin to assign you to Quickture in Okta, then sign in again.",
            action=Action.SIGN_IN,
        )
    if reason == "not_provisioned":
        return Notice(
            "You've been signed out",
            "Your Quickture account no longer exists: your organization removed it or "
            "changed its Okta connection.",
            "Ask your IT admin to re-assign you to Quickture in Okta, then sign in again.",
            action=Action.SIGN_IN,
        )
    if reason == "revoked":
        return Notice(
            "You've been signed out",
            "Your session was ended: you signed out elsewhere, or it was ended for your "
            "account's safety.",
            "Sign in again to keep working.",
            level=Level.WARNING,
            action=Action.SIGN_IN,
        )
    return Notice(
        "Please sign in again",
        "Your session is no longer valid.",
        "Sign in again to keep working.",
        level=Level.WARNING,
        action=Action.SIGN_IN,
    )


def notice_for(error: BaseException, backend_url: str) -> Notice | None:
    """The notice for ``error``, or None when there is nothing to say (a cancel)."""
    if isinstance(error, SignInCancelled):
        return None
    if isinstance(error, SignedOut | SessionEnded):
        return notice_for_reason(error.reason or "revoked", error.description)
    if isinstance(error, SignInTimedOut):
        return Notice(
            "Sign-in timed out",
            "The browser did not come back to Quickture within 5 minutes.",
            "Click Sign In to try again. If no browser opened, use Copy sign-in link and "
            "paste it into your browser.",
            level=Level.WARNING,
            action=Action.SIGN_IN,
        )
    if isinstance(error, AuthorizationDenied):
        if error.error in ("access_denied", "unauthorized_client", "login_required"):
            return Notice(
                "Sign-in was refused",
                error.description or "Your organization's Okta did not let you in.",
                OKTA_CHECKLIST,
                action=Action.SIGN_IN,
            )
        return Notice(
            "Sign-in didn't finish",
            f"The sign-in server answered: {error.description or error.error}.",
            "Try again. If it keeps happening, send this message to your IT admin.",
            action=Action.SIGN_IN,
        )
    if isinstance(error, BackendUnreachable | Offline):
        return Notice(
            "Can't reach Quickture",
            f"No answer from {backend_url}.",
            "Check your network connection, or the server address in Settings.",
            level=Level.WARNING,
            action=Action.RETRY,
        )
    if isinstance(error, BackendMisconfigured):
        return Notice(
            "This isn't a Quickture server",
            f"{backend_url} did not answer like a Quickture server ({error}).",
            "Check the server address in Settings, or ask your IT admin for it.",
            action=Action.SETTINGS,
        )
    if isinstance(error, IdTokenInvalid):
        return Notice(
            "Quickture couldn't verify your sign-in",
            "The answer from the server could not be verified, so it was not trusted.",
            "Try again. If it keeps happening, check the server address in Settings and tell "
            "your IT admin.",
            action=Action.SIGN_IN,
        )
    if isinstance(error, TokenRefused):
        if error.reason:
            return notice_for_reason(error.reason, error.description)
        return Notice(
            "Sign-in didn't finish",
            error.description or "The server refused to finish the sign-in.",
            "Click Sign In to try again.",
            action=Action.SIGN_IN,
        )
    if isinstance(error, KeychainUnavailable):
        return keychain_notice(str(error))
    if isinstance(error, ServerError):
        return Notice(
            "Quickture had a problem",
            "The server could not answer just now.",
            "Try again in a minute. If it keeps happening, tell your IT admin.",
            level=Level.WARNING,
            action=Action.RETRY,
        )
    if isinstance(error, AuthError | ApiError):
        return Notice("Something went wrong", str(error), "Try again.", action=Action.RETRY)
    return Notice(
        "Something went wrong",
        f"An unexpected error: {type(error).__name__}.",
        "Try again. If it keeps happening, send the panel's log to support@quickture.com.",
        action=Action.RETRY,
    )


def keychain_notice(problem: str) -> Notice:
    return Notice(
        "Your sign-in won't be remembered",
        f"The OS keychain can't be used ({problem}). You stay signed in until you quit the "
        "panel; next time you will need to sign in again.",
        "On Linux, install and unlock a Secret Service keychain (GNOME Keyring or KWallet).",
        level=Level.WARNING,
    )


def signed_out_notice(server_told: bool) -> Notice:
    if server_told:
        return Notice("Signed out", "You're signed out of Quickture on this computer.",
                      level=Level.INFO)  # fmt: skip
    return Notice(
        "Signed out on this computer only",
        "Quickture's server could not be told (it did not answer), so your session there "
        "ends when it expires.",
        "Nothing else to do: this computer no longer keeps your sign-in.",
        level=Level.WARNING,
    )
