"""The SCIM flows whose SQL differs by dialect (precompiled statements, upserts, row locks,
uniqueness races, filters), run again on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.runtime import Runtime
from tests.backend.scim.test_auth import (
    test_only_live_tokens_authenticate_as_their_own_connection,
    test_the_one_statement_lookups_authenticate_as_authenticate_does,
)
from tests.backend.scim.test_http import (
    test_an_update_writes_what_changed_and_what_derives_from_it,
    test_concurrent_create_of_the_same_user_name,
    test_errors_have_status_and_scim_type,
    test_etags,
)
from tests.backend.scim.test_isolation import test_a_token_sees_and_touches_only_its_connection
from tests.backend.scim.test_paging import test_import_after_deletions_and_with_a_filter
from tests.backend.scim.test_replay_entra import test_group_lifecycle, test_user_lifecycle
from tests.backend.scim.test_replay_okta import (
    test_create_update_deactivate_reactivate,
    test_push_groups,
)
from tests.backend.scim.test_requestlog import (
    test_requests_are_logged_and_the_token_touched,
    test_the_log_keeps_the_newest_rows,
)
from tests.backend.scim.test_resources import (
    test_the_times_a_write_returns_are_the_times_a_read_returns,
)
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres

__all__ = [
    "test_a_token_sees_and_touches_only_its_connection",
    "test_an_update_writes_what_changed_and_what_derives_from_it",
    "test_concurrent_create_of_the_same_user_name",
    "test_create_update_deactivate_reactivate",
    "test_errors_have_status_and_scim_type",
    "test_etags",
    "test_group_lifecycle",
    "test_import_after_deletions_and_with_a_filter",
    "test_push_groups",
    "test_requests_are_logged_and_the_token_touched",
    "test_the_log_keeps_the_newest_rows",
    "test_only_live_tokens_authenticate_as_their_own_connection",
    "test_the_one_statement_lookups_authenticate_as_authenticate_does",
    "test_the_times_a_write_returns_are_the_times_a_read_returns",
    "test_user_lifecycle",
]


@pytest.fixture
def runtime(pg_url: str, tmp_path: Path) -> Iterator[Runtime]:
    rt = Runtime.open(make_settings(tmp_path / "data", database_url=pg_url))
    rt.db.migrate()
    yield rt
    rt.close()
