"""What one backend process holds: its settings, the database and the at-rest secret box.

Built once by the wiring (``backend.app.create_app``, the CLI) and passed down.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.settings import Settings
from backend.store.db import Database
from backend.store.secretbox import SecretBox, load_or_create_key

__all__ = ["Runtime"]


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    db: Database
    box: SecretBox

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        key = load_or_create_key(settings.data_dir, settings.secret_key)
        return cls(settings=settings, db=Database(settings.database_url), box=SecretBox(key))

    def close(self) -> None:
        self.db.dispose()
