import httpx

from backend.app import create_app
from backend.runtime import Runtime
from tests.conftest import make_settings
from tests.helpers.servers import serve_asgi


def test_healthz_on_a_real_socket(runtime):
    with serve_asgi(lambda base: create_app(runtime)) as base:
        r = httpx.get(base + "/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}


def test_healthz_503_when_the_database_is_down(tmp_path):
    rt = Runtime.open(
        make_settings(tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    )
    with serve_asgi(lambda base: create_app(rt)) as base:
        r = httpx.get(base + "/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable" and "Traceback" not in r.text


def test_root_leads_to_the_dashboard(runtime):
    with serve_asgi(lambda base: create_app(runtime)) as base:
        r = httpx.get(base + "/")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
