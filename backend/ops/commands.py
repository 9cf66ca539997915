"""The ``backup``, ``rotate-secret-key`` and ``rotate-signing-key`` subcommands of
``quickture-backend``.

``backend/cli.py`` calls ``add_commands`` when it builds its parser; the handlers
follow its conventions (``--json``, one transaction, errors as one line and exit code 2).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from backend.domain import audit
from backend.domain.audit import CLI_ACTOR
from backend.ops.backup import backup_sqlite
from backend.ops.errors import OpsError
from backend.ops.rotate import rotate_secrets
from backend.runtime import Runtime
from backend.store.secretbox import load_or_create_key

__all__ = ["add_commands"]


def add_commands(sub: argparse._SubParsersAction[Any]) -> None:
    def command(name: str, handler: Any, help: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(handler=handler, command=name)
        return p

    p = command("backup", _backup, "copy the SQLite database to FILE while it serves "
                "(PostgreSQL: use pg_dump)")  # fmt: skip
    p.add_argument("--to", required=True, metavar="FILE", type=Path)
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    command("rotate-secret-key", _rotate, "re-encrypt every stored secret under the newest key "
            "of QUICKTURE_SECRET_KEY (comma-separated, newest first)")  # fmt: skip
    command("rotate-signing-key", _rotate_signing, "make a new key to sign ID and access "
            "tokens; the old ones stay published for verification for an hour")  # fmt: skip


def _backup(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    try:
        result = backup_sqlite(rt.settings.database_url, args.to, overwrite=args.force)
    except OpsError as exc:
        raise _cli_error(exc) from exc
    return {
        "status": "ok",
        **asdict(result),
        "message": "backup written; keep the at-rest key (secret.key or QUICKTURE_SECRET_KEY) "
        "safe too: without it the stored client secrets and signing keys cannot be decrypted",
    }


def _rotate(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    keys = [k for k in load_or_create_key(rt.settings.data_dir, rt.settings.secret_key).split(",")
            if k.strip()]  # fmt: skip
    with rt.db.write() as s:
        result = rotate_secrets(s, rt.box)
        audit.record(s, org_id=None, actor=CLI_ACTOR, action="secret_key.rotated",
                     target_type="secret_key", target_id="at-rest",
                     **asdict(result))  # fmt: skip
    out: dict[str, Any] = {"status": "ok", "keys_configured": len(keys), **asdict(result)}
    if len(keys) == 1:
        out["message"] = (
            "re-encrypted under the only configured key; to rotate, set "
            "QUICKTURE_SECRET_KEY=NEW,OLD, restart, run this again, then drop OLD"
        )
    else:
        out["message"] = (
            "every stored secret is now under the first key; once every backend process runs "
            "with the new list, the older keys can be removed from QUICKTURE_SECRET_KEY"
        )
    return out


def _cli_error(exc: OpsError) -> Exception:
    from backend.cli import CliError  # imported late: backend.cli imports this module

    return CliError(str(exc))


def _rotate_signing(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    from backend.oauth.keys import PUBLISHED_AFTER_RETIRE, KeyStore

    keys = KeyStore(rt.box)
    with rt.db.write() as s:
        kid = keys.rotate(s)
        audit.record(s, org_id=None, actor=CLI_ACTOR, action="signing_key.rotated",
                     target_type="signing_key", target_id=kid)  # fmt: skip
        published = [k["kid"] for k in keys.published(s)["keys"]]
    hours = PUBLISHED_AFTER_RETIRE.total_seconds() / 3600
    return {
        "status": "ok",
        "kid": kid,
        "published": published,
        "message": f"new tokens are signed with {kid} from now on, by every backend process; "
        f"the retired keys stay in /oauth/jwks for {hours:g} h so tokens they signed verify",
    }
