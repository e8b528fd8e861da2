"""Error replies as the client reports them (issue 10): the service's own faults as they are, API Gateway's
refusals with a hint when the endpoint lacks /api, anything else on one line."""

from __future__ import annotations

import json

from xtasks import Forbidden, NotFound
from xtasks.endpoint import API_HINT
from xtasks.faults import fault

WITHOUT_API = "http://127.0.0.1:3000"
WITH_API = "http://127.0.0.1:3000/api"


def test_a_gateway_refusal_at_an_endpoint_without_api_hints_at_it() -> None:
    # Given API Gateway's answer to a path outside the API, when the endpoint lacks /api, then the hint
    error = fault(403, json.dumps({"message": "Missing Authentication Token"}), WITHOUT_API)
    assert isinstance(error, Forbidden)
    assert str(error) == f"403 Forbidden: Missing Authentication Token ({API_HINT})"
    assert "e.g. http://127.0.0.1:3000/api" in str(error)


def test_a_404_from_another_server_at_an_endpoint_without_api_hints_at_it() -> None:
    error = fault(404, "<html>\n<body>Not Found</body>\n</html>", WITHOUT_API)
    assert isinstance(error, NotFound)
    assert error.hint == API_HINT
    assert "\n" not in str(error)


def test_the_services_own_not_found_gets_no_hint() -> None:
    # Given the service's fault for a job that does not exist, then it is reported as it is
    body = json.dumps({"fault": {"reason": "Not Found", "detail": "job x was not found"}})
    assert str(fault(404, body, WITHOUT_API)) == "404 Not Found: job x was not found"


def test_a_refusal_at_an_endpoint_ending_in_api_gets_no_hint() -> None:
    error = fault(403, json.dumps({"message": "Forbidden"}), WITH_API)
    assert error.hint == ""
    assert str(error) == "403 Forbidden: Forbidden"
