import pytest

from panel.settings import (
    DEFAULT_BACKEND_URL,
    InvalidBackendUrl,
    PanelSettings,
    normalise_backend_url,
    save_backend_url,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://q.example.com/", "https://q.example.com"),
        ("q.example.com", "https://q.example.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://localhost:9000/", "http://localhost:9000"),
        ("https://q.example.com/quickture", "https://q.example.com/quickture"),
    ],
)
def test_good_addresses(given, expected):
    assert normalise_backend_url(given) == expected


@pytest.mark.parametrize(
    "given",
    ["", "ftp://q.example.com", "http://q.example.com", "https://q.example.com/?a=1",
     "https://user@q.example.com", "https://q.example.com:99999", "https://"],
)  # fmt: skip
def test_bad_addresses_say_why(given):
    with pytest.raises(InvalidBackendUrl):
        normalise_backend_url(given)


def test_precedence_flag_env_saved_default(tmp_path):
    cfg = tmp_path / "cfg"
    logs = tmp_path / "logs"

    def load(flag=None, env=None):
        return PanelSettings.load(flag, env or {}, config_dir=cfg, log_dir=logs)

    assert (load().backend_url, load().backend_source) == (DEFAULT_BACKEND_URL, "default")
    save_backend_url(cfg, "https://saved.example.com")
    assert load().backend_source == "saved"
    env = {"QUICKTURE_BACKEND_URL": "https://env.example.com"}
    assert load(env=env).backend_url == "https://env.example.com"
    assert load("https://flag.example.com", env).backend_url == "https://flag.example.com"
    with pytest.raises(InvalidBackendUrl):
        load(env={"QUICKTURE_BACKEND_URL": "http://plain.example.com"})


def test_corrupt_saved_settings_fall_back_to_the_default(tmp_path):
    (tmp_path / "panel.json").write_text("{not json")
    assert PanelSettings.load(None, {}, config_dir=tmp_path, log_dir=tmp_path).backend_source == (
        "default"
    )
