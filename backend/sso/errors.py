"""Why a sign-in failed, in words an editor can act on.

Each error names what went wrong and what to do next, following the customer guide's
troubleshooting list. ``backend.sso.pages`` renders them; nothing else catches them.

Errors::

    LoginError
    ├── InvalidEmail          the typed text is not an email address
    ├── UnknownDomain         the domain belongs to no organization
    ├── NoConnection          the organization has no finished SSO connection
    ├── TooManyAttempts       the login form's rate limit
    ├── ProviderUnavailable   Okta unreachable, or its discovery or keys are unusable
    ├── ProviderRefused       Okta answered error=... (its description is shown)
    ├── LoginExpired          unknown, used or expired state; started in another browser
    ├── IssuerMismatch        mix-up defence: the answer came from another issuer
    ├── InvalidIdToken        signature, iss, aud, exp, iat or nonce check failed
    ├── NotAssigned           authenticated, but no SCIM-provisioned user matches
    ├── Deactivated           the matching user is deactivated
    ├── EmailMismatch         Okta authenticated someone else than the email typed
    └── UnknownIssuer         /startlogin: no connection for this issuer / Connection ID
"""

from __future__ import annotations

__all__ = [
    "Deactivated",
    "EmailMismatch",
    "InvalidEmail",
    "InvalidIdToken",
    "IssuerMismatch",
    "LoginError",
    "LoginExpired",
    "NoConnection",
    "NotAssigned",
    "ProviderRefused",
    "ProviderUnavailable",
    "TooManyAttempts",
    "UnknownDomain",
    "UnknownIssuer",
]

TRY_AGAIN = "Go back to the sign-in page and try again."
ASK_IT = "Ask your IT administrator to check the Quickture app in Okta."


class LoginError(Exception):
    """A sign-in that cannot continue. ``code`` is stable (tests and logs use it)."""

    code = "login_failed"
    status = 400
    title = "We could not sign you in"
    steps: tuple[str, ...] = (TRY_AGAIN,)

    def __init__(self, message: str, *, steps: tuple[str, ...] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if steps is not None:
            self.steps = steps


class InvalidEmail(LoginError):
    code = "invalid_email"
    title = "That is not an email address"
    steps = ("Enter your work email address, for example ada@yourcompany.com.",)


class UnknownDomain(LoginError):
    code = "unknown_domain"
    title = "Your email domain is not set up for Quickture"
    steps = (
        "Check that you typed the email address you use for work (the one you sign in to "
        "Okta with).",
        "The domain in your email address must be one of your organization's domains in "
        "Quickture. Ask your IT administrator to add it (SSO Configuration Guide, Step 1).",
    )


class NoConnection(LoginError):
    code = "no_connection"
    title = "Single sign-on is not finished for your organization"
    steps = (
        "Ask your IT administrator to finish the SSO Setup Wizard in the Quickture Dashboard "
        "(OIDC, then SCIM, then Complete Setup).",
    )


class TooManyAttempts(LoginError):
    code = "rate_limited"
    status = 429
    title = "Too many sign-in attempts"
    steps = ("Wait a minute, then try again.",)


class ProviderUnavailable(LoginError):
    code = "provider_unavailable"
    status = 502
    title = "We could not reach your organization's Okta"
    steps = (
        "Try again in a few minutes.",
        "If it keeps happening, ask your IT administrator to check the Okta issuer URL, Client "
        "ID and Client Secret on the Quickture SSO Management page.",
    )


class ProviderRefused(LoginError):
    code = "provider_refused"
    title = "Okta did not sign you in"
    steps = (
        "Check that you are assigned to the Quickture app in Okta.",
        ASK_IT,
        TRY_AGAIN,
    )


class LoginExpired(LoginError):
    code = "login_expired"
    title = "This sign-in has expired"
    steps = (
        "Start again from the sign-in page (or click Sign In in the Quickture panel again).",
        "Finish signing in within 10 minutes, in the same browser you started in.",
    )


class IssuerMismatch(LoginError):
    code = "issuer_mismatch"
    title = "The sign-in answer came from the wrong identity provider"
    steps = (
        "Start again from the sign-in page.",
        "If it keeps happening, ask your IT administrator to check the Okta issuer URL on the "
        "Quickture SSO Management page.",
    )


class InvalidIdToken(LoginError):
    code = "invalid_id_token"
    title = "Okta's answer could not be verified"
    steps = (
        TRY_AGAIN,
        "If it keeps happening, ask your IT administrator to check the Client ID on the "
        "Quickture SSO Management page and the server's clock.",
    )


class NotAssigned(LoginError):
    code = "not_assigned"
    status = 403
    title = "You are not assigned to Quickture"
    steps = (
        "Ask your IT administrator to assign you to the Quickture app in Okta (Assignments "
        "tab), and check that provisioning (Create Users) is enabled.",
        "Once you are assigned, wait a minute for Okta to provision you, then try again.",
    )


class Deactivated(LoginError):
    code = "deactivated"
    status = 403
    title = "Your Quickture account is deactivated"
    steps = ("Ask your IT administrator to assign you to the Quickture app in Okta again.",)


class EmailMismatch(LoginError):
    code = "email_mismatch"
    status = 403
    title = "You signed in to Okta as someone else"
    steps = (
        "Sign out of Okta, then sign in with the same email address you typed here.",
        "Or start again and type the email address associated with your Okta user.",
    )


class UnknownIssuer(LoginError):
    code = "unknown_issuer"
    title = "This Okta is not connected to Quickture"
    steps = (
        "Ask your IT administrator to check that the Connection ID on the Okta app's General "
        "tab matches the one on the Quickture SSO Management page.",
        "Or sign in from the Quickture sign-in page with your work email.",
    )
