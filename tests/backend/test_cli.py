"""The real ``quickture-backend`` in a subprocess against a temp data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("quickture-backend"))


@pytest.fixture
def cli(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKTURE_")}
    env["QUICKTURE_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str, ok: bool = True, **extra_env: str):
        proc = subprocess.run(
            [EXE, *args],
            env={**env, **extra_env},
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    def run_json(*args: str, **extra_env: str):
        proc = run(*args, "--json", **extra_env)
        lines = proc.stdout.strip().splitlines()
        assert len(lines) == 1, proc.stdout  # exactly one JSON object
        return json.loads(lines[0])

    run.json = run_json
    run.env = env
    return run


def _one_line_error(proc, *fragments: str) -> None:
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for f in fragments:
        assert f in err, err


def test_whole_admin_story(cli, tmp_path):
    assert cli.json("migrate")["status"] == "ok"
    org = cli.json(
        "org", "create", "--name", "Acme Post", "--domain", "acme.com", "--domain", "Acme.co.uk"
    )
    assert org["domains"] == ["acme.co.uk", "acme.com"]
    admin = cli.json(
        "admin",
        "create",
        "--org",
        org["id"],
        "--email",
        "it@acme.com",
        QUICKTURE_ADMIN_PASSWORD="correct horse battery",
    )
    assert admin["email"] == "it@acme.com" and "password" not in json.dumps(admin)
    conn = cli.json(
        "connection",
        "create",
        "--org",
        org["id"],
        "--issuer",
        "acme.okta.com",
        "--client-id",
        "0oa1",
        QUICKTURE_CLIENT_SECRET="shh-secret",
    )
    assert conn["id"].startswith("conn_") and conn["issuer"] == "https://acme.okta.com"
    assert "shh-secret" not in json.dumps(conn)
    assert conn["setup_state"] == "oidc"
    assert cli.json("connection", "complete", conn["id"])["setup_state"] == "complete"
    listed = cli.json("connection", "list")["connections"]
    assert [c["id"] for c in listed] == [conn["id"]]

    tok = cli.json("scim-token", "create", "--connection", conn["id"])
    assert tok["token"].startswith("qtscim_") and "not be shown again" in tok["message"]
    tok2 = cli.json("scim-token", "create", "--connection", conn["id"])
    third = cli("scim-token", "create", "--connection", conn["id"], ok=False)
    _one_line_error(third, "delete one of them first")
    tokens = cli.json("scim-token", "list", "--connection", conn["id"])["tokens"]
    assert {t["id"] for t in tokens} == {tok["id"], tok2["id"]}
    assert all("token" not in t for t in tokens)
    assert cli.json("scim-token", "delete", tok["id"])["deleted"] is True

    human = cli("scim-token", "create", "--connection", conn["id"])
    assert "qtscim_" in human.stdout and "will not be shown again" in human.stdout

    assert cli.json("connection", "delete", conn["id"])["deleted"] is True
    assert cli.json("connection", "list")["connections"] == []
    # nothing stored in plain text
    db = (tmp_path / "data" / "quickture.db").read_bytes()
    assert b"shh-secret" not in db and tok2["token"].encode() not in db
    key = tmp_path / "data" / "secret.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_errors_are_one_line_exit_2(cli):
    _one_line_error(cli("org", "list", ok=False), "quickture-backend migrate")
    cli("migrate")
    _one_line_error(
        cli("org", "create", "--name", "X", "--domain", "gmail.com", ok=False),
        "public email provider",
    )
    org = cli.json("org", "create", "--name", "A", "--domain", "a-corp.com")
    _one_line_error(
        cli("org", "create", "--name", "B", "--domain", "A-CORP.com", ok=False), "already belongs"
    )
    _one_line_error(
        cli(
            "connection",
            "create",
            "--org",
            "nope",
            "--issuer",
            "a.okta.com",
            "--client-id",
            "x",
            ok=False,
            QUICKTURE_CLIENT_SECRET="s",
        ),
        "no organization",
    )
    _one_line_error(
        cli(
            "connection",
            "create",
            "--org",
            org["id"],
            "--issuer",
            "http://evil.example",
            "--client-id",
            "x",
            ok=False,
        ),
        "https",
    )
    _one_line_error(
        cli("scim-token", "create", "--connection", "conn_nope", ok=False), "no connection"
    )
    # no secret in the environment and no terminal: say how to give it
    _one_line_error(
        cli("admin", "create", "--org", org["id"], "--email", "a@a-corp.com", ok=False),
        "QUICKTURE_ADMIN_PASSWORD",
    )
    # nothing half-written: the failed create left no organization behind
    assert [o["name"] for o in cli.json("org", "list")["organizations"]] == ["A"]


def test_unreachable_database_is_one_line(cli):
    proc = cli(
        "migrate", ok=False, QUICKTURE_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    _one_line_error(proc, "cannot use the database")


def test_bad_base_url_is_one_line(cli):
    _one_line_error(cli("migrate", ok=False, QUICKTURE_BASE_URL="ftp://x"), "QUICKTURE_BASE_URL")
