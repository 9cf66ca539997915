"""What the widgets show, as plain values (no Qt, no HTTP): the wiring fills them in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Action", "IntegrationRow", "Level", "Notice", "Profile"]


class Level(Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Action(Enum):
    """The one button a notice may offer."""

    SIGN_IN = "Sign In"
    RETRY = "Try again"
    SETTINGS = "Settings"


@dataclass(frozen=True, slots=True)
class Notice:
    title: str
    body: str
    next_step: str = ""
    level: Level = Level.ERROR
    action: Action | None = None


@dataclass(frozen=True, slots=True)
class IntegrationRow:
    product: str  # "Avid Media Composer"
    latest: str | None  # newest published version, None when none is published
    installed: str | None
    download_url: str | None
    notes: str = ""

    @property
    def status(self) -> str:
        if self.latest is None:
            return "No release published yet"
        if self.installed is None:
            return "Not installed"
        if self.out_of_date:
            return f"Installed {self.installed}, update available"
        return "Up to date"

    @property
    def out_of_date(self) -> bool:
        if self.latest is None or self.installed is None:
            return False
        return _version_key(self.installed) < _version_key(self.latest)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    email: str
    organization: str
    dashboard_url: str
    integrations: tuple[IntegrationRow, ...] = ()


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    parts: list[tuple[int, str]] = []
    for piece in version.replace("-", ".").split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append((int(digits) if digits else -1, piece))
    return tuple(parts)
