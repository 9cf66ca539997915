from datetime import timedelta

from backend.web.ratelimit import allow


def test_limit_then_refuse_then_new_window(any_runtime):
    window = timedelta(minutes=5)
    results = []
    for _ in range(4):
        with any_runtime.db.write() as s:
            results.append(allow(s, "login:1.2.3.4", limit=3, window=window))
    assert results == [True, True, True, False]
    with any_runtime.db.write() as s:
        assert allow(s, "login:other", limit=3, window=window)
    with any_runtime.db.write() as s:
        assert allow(s, "login:1.2.3.4", limit=3, window=timedelta(0))  # window over: reset
