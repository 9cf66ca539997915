from __future__ import annotations

from prometheus_client import REGISTRY

from backend.observability import metrics


def value(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_scim_operations_are_counted_per_connection_and_operation() -> None:
    a = {"connection": "conn_test_a", "op": "create"}
    b = {"connection": "conn_test_b", "op": "create"}
    before_a, before_b = (
        value("quickture_scim_operations_total", a),
        value("quickture_scim_operations_total", b),
    )
    metrics.scim_operation("conn_test_a", "create")
    metrics.scim_operation("conn_test_a", "create")
    assert value("quickture_scim_operations_total", a) == before_a + 2
    assert value("quickture_scim_operations_total", b) == before_b


def test_an_unknown_scim_operation_is_counted_as_other() -> None:
    labels = {"connection": "conn_test_c", "op": "other"}
    before = value("quickture_scim_operations_total", labels)
    metrics.scim_operation("conn_test_c", "frobnicate")
    assert value("quickture_scim_operations_total", labels) == before + 1
    assert (
        REGISTRY.get_sample_value(
            "quickture_scim_operations_total", {"connection": "conn_test_c", "op": "frobnicate"}
        )
        is None
    )


def test_sign_ins_are_counted_by_outcome_and_reason() -> None:
    ok = {"outcome": "success", "reason": ""}
    bad = {"outcome": "failure", "reason": "deactivated"}
    before_ok, before_bad = (
        value("quickture_sign_ins_total", ok),
        value("quickture_sign_ins_total", bad),
    )
    metrics.sign_in("success")
    metrics.sign_in("failure", "deactivated")
    metrics.sign_in("failure", "deactivated")
    assert value("quickture_sign_ins_total", ok) == before_ok + 1
    assert value("quickture_sign_ins_total", bad) == before_bad + 2


def test_an_odd_outcome_counts_as_failure_and_long_reasons_are_cut() -> None:
    labels = {"outcome": "failure", "reason": "r" * 64}
    before = value("quickture_sign_ins_total", labels)
    metrics.sign_in("weird", "r" * 500)
    assert value("quickture_sign_ins_total", labels) == before + 1


def test_the_scim_operation_of_a_request() -> None:
    cases = {
        ("GET", "/scim/v2/Users"): "list",
        ("HEAD", "/scim/v2/Users"): "list",
        ("GET", "/scim/v2/Users/abc"): "get",
        ("GET", "/scim/v2/Groups/abc"): "get",
        ("POST", "/scim/v2/Users"): "create",
        ("PUT", "/scim/v2/Users/abc"): "replace",
        ("PATCH", "/scim/v2/Groups/abc"): "patch",
        ("DELETE", "/scim/v2/Users/abc"): "delete",
        ("GET", "/scim/v2/ServiceProviderConfig"): "discovery",
        ("OPTIONS", "/scim/v2/Users"): "other",
    }
    for (method, path), op in cases.items():
        assert metrics.scim_op_for(method, path) == op, (method, path)
