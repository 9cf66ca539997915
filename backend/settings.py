"""One frozen settings object per backend process, read once from the environment.

Variables (all optional):

- ``QUICKTURE_DATA_DIR``: where the SQLite database, the at-rest key and published releases
  live. Default: the platform's user data directory (``platformdirs``).
- ``QUICKTURE_DATABASE_URL``: an SQLAlchemy URL. Default: ``sqlite:///<data dir>/quickture.db``.
  PostgreSQL: ``postgresql+psycopg://user:pass@host:port/db``.
- ``QUICKTURE_BASE_URL``: the public URL of this backend, used in redirect URIs and SCIM
  ``meta.location``. Default ``http://127.0.0.1:8000``.
- ``QUICKTURE_SECRET_KEY``: the key that encrypts client secrets at rest (a Fernet key). Default:
  generated on first start into ``<data dir>/secret.key`` with owner-only permissions.
- ``QUICKTURE_TRUSTED_PROXIES``: comma-separated addresses whose ``X-Forwarded-*`` headers are
  believed. Default: none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

__all__ = ["Settings", "SettingsError"]

PREFIX = "QUICKTURE_"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class SettingsError(ValueError):
    """A setting from the environment is unusable; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    base_url: str
    secret_key: str | None = None
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(PREFIX + name, "").strip()
            return value or None

        data_dir = Path(
            get("DATA_DIR") or platformdirs.user_data_dir("Quickture", "Quickture")
        ).expanduser()
        database_url = get("DATABASE_URL") or f"sqlite:///{data_dir / 'quickture.db'}"
        base_url = normalise_base_url(get("BASE_URL") or DEFAULT_BASE_URL)
        proxies = tuple(p.strip() for p in (get("TRUSTED_PROXIES") or "").split(",") if p.strip())
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            base_url=base_url,
            secret_key=get("SECRET_KEY"),
            trusted_proxies=proxies,
        )

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def url(self, path: str) -> str:
        """The public URL of ``path`` on this backend."""
        return self.base_url + "/" + path.lstrip("/")


def normalise_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"QUICKTURE_BASE_URL must be an http(s) URL such as https://auth.example.com, "
            f"not {value!r}"
        )
    if parts.query or parts.fragment:
        raise SettingsError("QUICKTURE_BASE_URL must not have a query or fragment")
    return value.rstrip("/")
