"""Property-based API tests: schemathesis generates requests from the app's own OpenAPI schema.

Bounded in examples per operation so the suite stays quick; the property is that no generated
input, however odd, makes the server fail (5xx).
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from api.main import create_app
from classifier.settings import Settings
from classifier.tokens import create_token


@pytest.fixture(scope="module")
def app_and_token(tmp_path_factory, small_model):
    data = tmp_path_factory.mktemp("schema") / "data"
    app = create_app(
        Settings(data_dir=data, model_path=small_model, max_upload_mb=1, max_batch_rows=200), run_jobs=False
    )
    client = TestClient(app, raise_server_exceptions=False)
    client.__enter__()  # runs the lifespan: store, catalogue, model
    token = create_token(app.state.store, "schemathesis", "admin").secret
    yield app, token
    client.__exit__(None, None, None)


@pytest.mark.slow
def test_no_server_errors_for_generated_requests(app_and_token):
    app, token = app_and_token
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error])

        check()
        tested.append(operation.label)
    assert len(tested) >= 12, tested
