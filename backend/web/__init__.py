"""Server-rendered pages: templates, browser sessions, CSRF, rate limits and security headers.

Shared by the login pages (``backend.sso``) and the Dashboard (``backend.dashboard``).
"""
