"""Schemathesis against /openapi.json: generated requests to every API operation, with a
valid token and without, find no 5xx and no response that breaks the schema.

A short run in `make test`; `make fuzz` runs it with HYPOTHESIS_PROFILE=fuzz (2,000 examples).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.reports import tokens

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_token(app, people, db, clock) -> str:
    from fastapi.testclient import TestClient

    with TestClient(app):
        pass  # start-up (course sync) so the API has something to report
    return tokens.create(db, name="fuzz", opd_id=None, actor=people.adi, now=clock()).secret


def test_api_operations_never_fail(app, api_token):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "no API operation found in the schema"
    headers = {"Authorization": f"Bearer {api_token}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, suppress_health_check=list(HealthCheck), deadline=None)
        def check(case):
            # no 5xx, and every response (status, content type, body) is the documented one
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()


def test_openapi_lists_only_the_api(app):
    spec = app.openapi()
    assert spec["paths"], "the API must be documented"
    assert all(path.startswith("/api/v1/") for path in spec["paths"])
