from pathlib import Path

import pytest

from backend.settings import Settings, SettingsError


def test_defaults_use_platform_data_dir():
    s = Settings.from_env({})
    assert s.base_url == "http://127.0.0.1:8000"
    assert s.database_url == f"sqlite:///{s.data_dir / 'quickture.db'}"
    assert "Quickture" in str(s.data_dir)
    assert s.secret_key is None and s.trusted_proxies == ()


def test_environment_overrides(tmp_path):
    s = Settings.from_env(
        {
            "QUICKTURE_DATA_DIR": str(tmp_path),
            "QUICKTURE_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "QUICKTURE_BASE_URL": "https://auth.quickture.com/",
            "QUICKTURE_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
        }
    )
    assert s.data_dir == Path(tmp_path) and not s.is_sqlite
    assert s.base_url == "https://auth.quickture.com" and s.is_https
    assert s.url("/login/callback") == "https://auth.quickture.com/login/callback"
    assert s.trusted_proxies == ("10.0.0.1", "10.0.0.2")


@pytest.mark.parametrize("bad", ["auth.quickture.com", "ftp://x", "https://x/?q=1"])
def test_bad_base_url(bad):
    with pytest.raises(SettingsError):
        Settings.from_env({"QUICKTURE_BASE_URL": bad})


def test_settings_are_frozen():
    s = Settings.from_env({})
    with pytest.raises(AttributeError):
        s.base_url = "x"  # type: ignore[misc]
