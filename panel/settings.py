"""The panel's settings: one frozen object per process, read once and passed down.

The backend URL comes from, in order: ``--backend URL``, ``QUICKTURE_BACKEND_URL``, the URL
saved from Settings (``panel.json`` in the platform config directory), the default.
Logs go to the platform log directory. Nothing secret is ever written here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_BACKEND_URL",
    "InvalidBackendUrl",
    "PanelSettings",
    "normalise_backend_url",
    "save_backend_url",
]

DEFAULT_BACKEND_URL = "http://127.0.0.1:8000"
ENV_BACKEND = "QUICKTURE_BACKEND_URL"


class InvalidBackendUrl(ValueError):
    """The message says what is wrong and what a good address looks like."""


@dataclass(frozen=True, slots=True)
class PanelSettings:
    backend_url: str
    config_dir: Path
    log_dir: Path
    backend_source: str  # "flag", "env", "saved" or "default"

    @classmethod
    def load(
        cls,
        flag: str | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        config_dir: Path | None = None,
        log_dir: Path | None = None,
    ) -> PanelSettings:
        import platformdirs  # here, not at the top: it is not needed for the first paint

        env = os.environ if environ is None else environ
        config_dir = config_dir or Path(platformdirs.user_config_dir("Quickture", "Quickture"))
        log_dir = log_dir or Path(platformdirs.user_log_dir("Quickture", "Quickture"))
        saved = _read_saved(config_dir)
        for source, value in (("flag", flag), ("env", env.get(ENV_BACKEND, "").strip()),
                              ("saved", saved)):  # fmt: skip
            if value:
                return cls(normalise_backend_url(value), config_dir, log_dir, source)
        return cls(DEFAULT_BACKEND_URL, config_dir, log_dir, "default")

    @staticmethod
    def check(flag: str | None, environ: Mapping[str, str] | None = None) -> None:
        """Validate the flag and the environment variable alone (cheap, before the window)."""
        env = os.environ if environ is None else environ
        for value in (flag, env.get(ENV_BACKEND, "").strip()):
            if value:
                normalise_backend_url(value)

    def with_backend(self, url: str) -> PanelSettings:
        return replace(self, backend_url=normalise_backend_url(url), backend_source="saved")


def normalise_backend_url(value: str) -> str:
    """``https://host[:port][/path]``; plain http only on this computer (127.0.0.1, localhost)."""
    raw = value.strip()
    if not raw:
        raise InvalidBackendUrl("Enter the address of your Quickture server.")
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidBackendUrl(
            f"{value!r} is not a web address. Use something like https://quickture.example.com"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidBackendUrl("The server address must not contain ?, # or a user name.")
    try:
        parts.port  # noqa: B018 (validates the port)
    except ValueError as exc:
        raise InvalidBackendUrl(f"{value!r} has an invalid port number.") from exc
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise InvalidBackendUrl(
            "The server address must start with https:// (plain http is only allowed for a "
            "server on this computer)."
        )
    return raw.rstrip("/")


def save_backend_url(config_dir: Path, url: str) -> None:
    import json

    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "panel.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"backend_url": url}, indent=2), encoding="utf-8")
    tmp.replace(path)


def _read_saved(config_dir: Path) -> str | None:
    import json

    try:
        data = json.loads((config_dir / "panel.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("backend_url") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def _is_loopback(host: str) -> bool:
    from ipaddress import ip_address

    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
