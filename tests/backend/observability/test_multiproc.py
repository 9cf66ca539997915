from __future__ import annotations

from pathlib import Path

from backend.observability.multiproc import ENV, cleanup, prepare


def test_one_worker_without_the_variable_keeps_metrics_in_memory() -> None:
    env: dict[str, str] = {}
    assert prepare(1, env) is None
    assert ENV not in env


def test_several_workers_get_a_fresh_directory_which_cleanup_removes() -> None:
    env: dict[str, str] = {}
    path = prepare(2, env)
    assert path is not None and path.is_dir() and not any(path.iterdir())
    assert env[ENV] == str(path)
    cleanup(path)
    assert not path.exists()


def test_a_configured_directory_is_used_and_emptied_of_stale_files(tmp_path: Path) -> None:
    mp = tmp_path / "metrics"
    mp.mkdir()
    (mp / "counter_123.db").write_bytes(b"stale")
    (mp / "README").write_text("not ours")
    env = {ENV: str(mp)}
    assert prepare(4, env) == mp
    assert sorted(p.name for p in mp.iterdir()) == ["README"]
    cleanup(mp)  # not one we made: left alone
    assert mp.exists()
