"""``quickture-backend``: the operator's and admin's command line.

Every command takes ``--json`` and then prints exactly one JSON object. Errors are one line on
stderr and exit code 2, never a traceback. Secrets never come from arguments (they would show
in ``ps``): the admin password from ``QUICKTURE_ADMIN_PASSWORD`` or a prompt, the client secret
from ``QUICKTURE_CLIENT_SECRET`` or a prompt. Each command is one transaction.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any, NoReturn

from backend.domain import DomainError, admins, connections, orgs, scim_tokens
from backend.domain.audit import CLI_ACTOR
from backend.runtime import Runtime
from backend.settings import Settings, SettingsError
from backend.store.db import DatabaseError
from backend.store.secretbox import SecretBoxError

__all__ = ["main"]

Handler = Callable[[Runtime, argparse.Namespace], dict[str, Any]]


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def main(argv: Sequence[str] | None = None) -> NoReturn:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        sys.exit(2)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            from backend.serve import serve

            serve(settings, args)
            sys.exit(0)
        rt = Runtime.open(settings)
        try:
            if args.command != "migrate":
                rt.db.check()
            result = args.handler(rt, args)
        finally:
            rt.close()
    except (CliError, DomainError, DatabaseError, SettingsError, SecretBoxError) as exc:
        print(f"quickture-backend: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("quickture-backend: interrupted", file=sys.stderr)
        sys.exit(130)
    _emit(result, as_json=args.json)
    sys.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quickture-backend", description="Run and administer the Quickture backend."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Handler | None, help: str, parent: Any = sub) -> Any:
        p = parent.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.set_defaults(handler=handler, command=name if parent is sub else p.prog.split()[1])
        return p

    command("migrate", _migrate, "create or upgrade the database schema")

    serve = command("serve", _serve_placeholder, "run the backend (migrates first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")

    org = sub.add_parser("org", help="organizations").add_subparsers(metavar="ACTION")
    p = command("create", _org_create, "create an organization with its email domains", org)
    p.add_argument("--name", required=True)
    p.add_argument("--domain", action="append", default=[], help="repeat for several")
    p = command("add-domain", _org_add_domain, "add an email domain to an organization", org)
    p.add_argument("--org", required=True)
    p.add_argument("--domain", required=True)
    command("list", _org_list, "list organizations", org)

    adm = sub.add_parser("admin", help="local Dashboard admins").add_subparsers(metavar="ACTION")
    p = command("create", _admin_create, "create a local admin (password from "
                "QUICKTURE_ADMIN_PASSWORD or a prompt)", adm)  # fmt: skip
    p.add_argument("--org", required=True)
    p.add_argument("--email", required=True)

    con = sub.add_parser("connection", help="Okta connections").add_subparsers(metavar="ACTION")
    p = command("create", _connection_create, "connect an organization's Okta (client secret "
                "from QUICKTURE_CLIENT_SECRET or a prompt)", con)  # fmt: skip
    p.add_argument("--org", required=True)
    p.add_argument("--issuer", required=True, help="e.g. https://acme.okta.com")
    p.add_argument("--client-id", required=True)
    p = command("list", _connection_list, "list connections", con)
    p.add_argument("--org")
    p = command("complete", _connection_complete, "mark a connection's setup complete, so its "
                "users can sign in (the SSO Setup Wizard's Complete Setup)", con)  # fmt: skip
    p.add_argument("id", metavar="CONNECTION_ID")
    p = command("delete", _connection_delete, "delete a connection and its provisioned users", con)
    p.add_argument("id", metavar="CONNECTION_ID")

    tok = sub.add_parser("scim-token", help="SCIM bearer tokens").add_subparsers(metavar="ACTION")
    p = command("create", _token_create, "make a SCIM token (shown once)", tok)
    p.add_argument("--connection", required=True, metavar="CONNECTION_ID")
    p = command("list", _token_list, "list a connection's SCIM tokens", tok)
    p.add_argument("--connection", required=True, metavar="CONNECTION_ID")
    p = command("delete", _token_delete, "delete a SCIM token", tok)
    p.add_argument("id", metavar="TOKEN_ID")

    rel = sub.add_parser("release", help="integration releases").add_subparsers(metavar="ACTION")
    p = command("publish", _release_publish, "publish an Avid or Premiere integration file", rel)
    p.add_argument("--product", required=True, choices=["avid", "premiere"])
    p.add_argument("--version", required=True)
    p.add_argument("--platform", required=True, choices=["macos", "windows"])
    p.add_argument("--notes", default="", help="release notes shown on the Downloads page")
    p.add_argument("file", metavar="FILE")
    p = command("list", _release_list, "list published releases, newest first", rel)
    p.add_argument("--product", choices=["avid", "premiere"])
    p.add_argument("--platform", choices=["macos", "windows"])

    from backend.ops.commands import add_commands as add_ops_commands  # backup, key rotation

    add_ops_commands(sub)
    return parser


# -- handlers ---------------------------------------------------------------------------------


def _migrate(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    rt.db.migrate()
    return {"status": "ok", "message": "the database schema is up to date"}


def _serve_placeholder(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    raise AssertionError("serve is handled in main")


def _org_create(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    with rt.db.write() as s:
        return _obj(orgs.create_org(s, args.name, args.domain, actor=CLI_ACTOR))


def _org_add_domain(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    with rt.db.write() as s:
        orgs.add_domain(s, args.org, args.domain, actor=CLI_ACTOR)
        return _obj(orgs.get_org(s, args.org))


def _org_list(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    with rt.db.read() as s:
        return {"organizations": [_obj(o) for o in orgs.list_orgs(s)]}


def _admin_create(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    password = _secret("QUICKTURE_ADMIN_PASSWORD", "Password for the new admin: ", confirm=True)
    with rt.db.write() as s:
        return _obj(
            admins.create_admin(
                s, org_id=args.org, email=args.email, password=password, actor=CLI_ACTOR
            )
        )


def _connection_create(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    connections.normalise_issuer(args.issuer)  # say so before prompting for a secret
    secret = _secret("QUICKTURE_CLIENT_SECRET", "Client secret (from Okta's General tab): ")
    with rt.db.write() as s:
        info = connections.create_connection(
            s, rt.box, org_id=args.org, issuer=args.issuer, client_id=args.client_id,
            client_secret=secret, actor=CLI_ACTOR,
        )  # fmt: skip
    return _obj(info)


def _connection_list(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    with rt.db.read() as s:
        return {"connections": [_obj(c) for c in connections.list_connections(s, args.org)]}


def _connection_complete(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    with rt.db.write() as s:
        return _obj(connections.set_setup_state(s, args.id, "complete", actor=CLI_ACTOR))


def _connection_delete(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    with rt.db.write() as s:
        removed = connections.delete_connection(s, args.id, actor=CLI_ACTOR)
    return {
        "id": args.id,
        "deleted": True,
        "users_removed": removed,
        "message": "deleted; to give its users access again, create a new connection and "
        "un-assign and re-assign them to the app in Okta",
    }


def _token_create(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    with rt.db.write() as s:
        new = scim_tokens.create_token(s, args.connection, actor=CLI_ACTOR)
    out = _obj(new.info)
    out["token"] = new.token
    out["message"] = "copy this token now: it will not be shown again"
    return out


def _token_list(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    with rt.db.read() as s:
        connections.get_connection(s, args.connection)
        return {"tokens": [_obj(t) for t in scim_tokens.list_tokens(s, args.connection)]}


def _token_delete(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    with rt.db.write() as s:
        info = scim_tokens.delete_token(s, args.id, actor=CLI_ACTOR)
    return {**_obj(info), "deleted": True}


def _release_publish(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    from pathlib import Path

    from backend.releases import store

    info = store.publish(
        rt, product=args.product, platform=args.platform, version=args.version,
        source=Path(args.file), notes=args.notes, actor=CLI_ACTOR,
    )  # fmt: skip
    return {**_obj(info), "message": "published: it is now the latest on the Downloads page"}


def _release_list(rt: Runtime, args: argparse.Namespace) -> dict[str, Any]:
    from backend.releases import store

    with rt.db.read() as s:
        found = store.list_releases(s, product=args.product, platform=args.platform)
    return {"releases": [_obj(r) for r in found]}


# -- helpers ----------------------------------------------------------------------------------


def _secret(env_name: str, prompt: str, *, confirm: bool = False) -> str:
    value = os.environ.get(env_name)
    if value:
        return value
    if not sys.stdin.isatty():
        raise CliError(f"set {env_name} or run this command in a terminal to be asked for it")
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != value:
        raise CliError("the two entries differ")
    if not value:
        raise CliError("nothing entered")
    return value


def _obj(value: Any) -> dict[str, Any]:
    data = asdict(value) if is_dataclass(value) and not isinstance(value, type) else dict(value)
    return {k: _plain(v) for k, v in data.items()}


def _plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    return v


def _emit(result: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, sort_keys=True))
        return
    message = result.pop("message", None)
    for key, value in result.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            print(f"{key}:")
            for item in value:
                print("  - " + ", ".join(f"{k}={v}" for k, v in item.items()))
        else:
            print(f"{key}: {value}")
    if message:
        print(message)
