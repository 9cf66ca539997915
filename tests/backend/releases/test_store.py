"""Publishing releases: copied into the data dir with their SHA-256, one row, audited; a
duplicate leaves nothing behind; the latest is the newest publication per product/platform."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from backend.domain import Conflict, Invalid, NotFound
from backend.releases import store
from backend.store.models import AuditEntry


def _file(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_publish_copies_hashes_and_audits(runtime, tmp_path):
    content = b"plugin" * 100_000
    src = _file(tmp_path, "Quickture Avid 2.4.1.pkg", content)
    info = store.publish(
        runtime,
        product="avid",
        platform="macos",
        version="2.4.1",
        source=src,
        notes=" Faster. ",
        actor="cli",
    )
    assert info.sha256 == hashlib.sha256(content).hexdigest() and info.size == len(content)
    assert info.filename == "Quickture_Avid_2.4.1.pkg" and info.notes == "Faster."
    _, path = store.file_path(runtime, info.id)
    assert path.read_bytes() == content
    assert path.is_relative_to(runtime.settings.data_dir / "releases")
    src.unlink()  # the stored copy does not depend on the source
    assert store.file_path(runtime, info.id)[1].exists()
    with runtime.db.read() as s:
        entry = s.query(AuditEntry).filter_by(action="release.publish").one()
        assert entry.target_id == info.id and entry.detail["sha256"] == info.sha256


def test_duplicate_version_is_refused_and_leaves_no_file(runtime, tmp_path):
    src = _file(tmp_path, "a.zip", b"1")
    store.publish(
        runtime, product="premiere", platform="windows", version="1.0", source=src, actor="cli"
    )
    before = sorted((runtime.settings.data_dir / "releases").iterdir())
    with pytest.raises(Conflict, match="already published"):
        store.publish(
            runtime, product="premiere", platform="windows", version="1.0", source=src, actor="cli"
        )
    assert sorted((runtime.settings.data_dir / "releases").iterdir()) == before


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"product": "resolve"}, "unknown product"),
        ({"platform": "linux"}, "unknown platform"),
        ({"version": "../../etc"}, "is not a version"),
        ({"version": ""}, "is not a version"),
    ],
)
def test_invalid_input(runtime, tmp_path, kwargs, words):
    args = {
        "product": "avid",
        "platform": "macos",
        "version": "1.0",
        "source": _file(tmp_path, "a.zip", b"x"),
        "actor": "cli",
        **kwargs,
    }
    with pytest.raises(Invalid, match=words):
        store.publish(runtime, **args)


def test_missing_source_file(runtime, tmp_path):
    with pytest.raises(Invalid, match="is not a file"):
        store.publish(
            runtime,
            product="avid",
            platform="macos",
            version="1",
            source=tmp_path / "nope.zip",
            actor="cli",
        )


def test_latest_is_newest_per_product_and_platform(runtime, tmp_path):
    src = _file(tmp_path, "a.zip", b"x")
    for product, platform, version in [
        ("avid", "macos", "2.0"),
        ("avid", "macos", "1.9.9"),
        ("premiere", "macos", "1.0"),
        ("avid", "windows", "2.0"),
    ]:
        store.publish(
            runtime, product=product, platform=platform, version=version, source=src, actor="cli"
        )
    with runtime.db.read() as s:
        newest = store.latest(s)
        mac = store.latest(s, platform="macos")
    # newest by publication time, not by version number: 1.9.9 was published last
    assert [(r.product, r.platform, r.version) for r in newest] == [
        ("avid", "macos", "1.9.9"),
        ("avid", "windows", "2.0"),
        ("premiere", "macos", "1.0"),
    ]
    assert {r.platform for r in mac} == {"macos"}


def test_file_gone_missing_is_not_found(runtime, tmp_path):
    info = store.publish(
        runtime,
        product="avid",
        platform="macos",
        version="1",
        source=_file(tmp_path, "a.zip", b"x"),
        actor="cli",
    )
    store.file_path(runtime, info.id)[1].unlink()
    with pytest.raises(NotFound):
        store.file_path(runtime, info.id)
    with pytest.raises(NotFound):
        store.file_path(runtime, "nope")


def test_publish_and_latest_on_sqlite_and_postgresql(any_runtime, tmp_path):
    src = _file(tmp_path, "a.zip", b"x" * 10)
    first = store.publish(
        any_runtime, product="avid", platform="windows", version="1", source=src, actor="cli"
    )
    second = store.publish(
        any_runtime, product="avid", platform="windows", version="2", source=src, actor="cli"
    )
    with pytest.raises(Conflict):
        store.publish(
            any_runtime, product="avid", platform="windows", version="2", source=src, actor="cli"
        )
    with any_runtime.db.read() as s:
        assert [r.id for r in store.latest(s)] == [second.id]
        assert [r.id for r in store.list_releases(s)] == [second.id, first.id]
