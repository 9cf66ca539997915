"""The loopback receiver, with real requests on 127.0.0.1."""

import socket
import threading

import httpx
import pytest

from panel.auth.errors import AuthorizationDenied, SignInCancelled, SignInTimedOut
from panel.auth.loopback import LoopbackReceiver


def waiting(receiver: LoopbackReceiver):
    """Run ``receiver.wait()`` on a thread; return a dict that gets its outcome."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = receiver.wait()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return outcome, thread


def get(url: str, **params) -> httpx.Response:
    with httpx.Client(trust_env=False) as client:
        return client.get(url, params=params)


def assert_port_released(receiver: LoopbackReceiver) -> None:
    """Nothing listens any more (connection refused) and the socket is closed."""
    assert receiver._server.socket.fileno() == -1
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", receiver.port))


def test_binds_loopback_on_an_ephemeral_port():
    receiver = LoopbackReceiver("s")
    try:
        assert receiver.redirect_uri == f"http://127.0.0.1:{receiver.port}/callback"
        assert receiver._server.server_address[0] == "127.0.0.1"
        assert receiver.port != 0
    finally:
        receiver.close()


def test_success_page_and_code_then_port_released():
    receiver = LoopbackReceiver("good-state")
    outcome, thread = waiting(receiver)
    response = get(receiver.redirect_uri, code="the-code", state="good-state")
    thread.join(5)
    assert response.status_code == 200
    assert "You&#x27;re signed in to Quickture." in response.text
    assert "You may close this window." in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert outcome["result"].code == "the-code"
    assert_port_released(receiver)


def test_wrong_state_is_refused_and_the_receiver_keeps_waiting():
    receiver = LoopbackReceiver("good-state")
    outcome, thread = waiting(receiver)
    bad = get(receiver.redirect_uri, code="attacker", state="forged")
    assert bad.status_code == 400
    assert "isn" in bad.text and "attacker" not in bad.text
    assert not outcome
    good = get(receiver.redirect_uri, code="real", state="good-state")
    thread.join(5)
    assert good.status_code == 200
    assert outcome["result"].code == "real"


def test_stray_requests_are_ignored():
    receiver = LoopbackReceiver("s")
    outcome, thread = waiting(receiver)
    assert get(f"http://127.0.0.1:{receiver.port}/favicon.ico").status_code == 404
    with httpx.Client(trust_env=False) as client:
        assert (
            client.post(receiver.redirect_uri, data={"code": "c", "state": "s"}).status_code == 501
        )
    assert not outcome
    get(receiver.redirect_uri, code="c", state="s")
    thread.join(5)
    assert outcome["result"].code == "c"


def test_error_is_reported_and_echoed_escaped():
    receiver = LoopbackReceiver("s")
    outcome, thread = waiting(receiver)
    response = get(
        receiver.redirect_uri,
        error="access_denied",
        error_description="<script>alert(1)</script>",
        state="s",
    )
    thread.join(5)
    assert "<script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert isinstance(outcome["error"], AuthorizationDenied)
    assert outcome["error"].error == "access_denied"
    assert_port_released(receiver)


def test_timeout_closes_the_socket():
    receiver = LoopbackReceiver("s", timeout=0.2)
    with pytest.raises(SignInTimedOut):
        receiver.wait()
    assert_port_released(receiver)


def test_cancel_from_another_thread_closes_the_socket():
    receiver = LoopbackReceiver("s")
    outcome, thread = waiting(receiver)
    receiver.cancel()
    thread.join(5)
    assert isinstance(outcome["error"], SignInCancelled)
    assert_port_released(receiver)


def test_second_callback_after_the_first_is_told_it_is_over():
    receiver = LoopbackReceiver("s")
    receiver._handle({"code": "1", "state": "s"})
    status, body = receiver._handle({"code": "2", "state": "s"})
    assert status == 409 and b"already finished" in body
    assert receiver.wait().code == "1"
