"""``quickture-backend release publish|list --json``."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.fernet import Fernet

from backend import cli


def run(capsys, *argv: str) -> tuple[int, dict, str]:
    with pytest.raises(SystemExit) as exit_:
        cli.main(list(argv))
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), json.loads(out) if out.strip() else {}, err


def test_publish_and_list(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QUICKTURE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QUICKTURE_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("QUICKTURE_DATABASE_URL", raising=False)
    assert run(capsys, "migrate", "--json")[0] == 0
    build = tmp_path / "QuicktureAvid.pkg"
    build.write_bytes(b"\x00avid" * 5000)

    code, out, _ = run(
        capsys,
        "release",
        "publish",
        "--product",
        "avid",
        "--version",
        "2.4.1",
        "--platform",
        "macos",
        "--notes",
        "Faster.",
        str(build),
        "--json",
    )
    assert code == 0
    assert out["sha256"] == hashlib.sha256(build.read_bytes()).hexdigest()
    assert out["size"] == build.stat().st_size and out["id"]
    assert (tmp_path / "data" / "releases" / out["id"] / "QuicktureAvid.pkg").exists()

    code, _, err = run(
        capsys,
        "release",
        "publish",
        "--product",
        "avid",
        "--version",
        "2.4.1",
        "--platform",
        "macos",
        str(build),
    )
    assert code == 2 and "already published" in err and "Traceback" not in err

    code, listed, _ = run(capsys, "release", "list", "--json")
    assert code == 0 and [r["id"] for r in listed["releases"]] == [out["id"]]
    code, listed, _ = run(capsys, "release", "list", "--platform", "windows", "--json")
    assert listed == {"releases": []}
