"""What the client refuses before it sends anything (issue 10): a malformed endpoint, a page size outside
1..1000, an unknown status or step type, an interval that is not a positive number."""

from __future__ import annotations

import pytest

from xtasks import Client, ConfigurationError, InvalidArgument, Status, StepType, validation
from xtasks import endpoint as endpoints


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("localhost:3000/api", "must start with http:// or https://"),
        ("127.0.0.1:3000/api", "must start with http:// or https://"),
        ("ftp://example.com/api", "must start with http:// or https://"),
        ("garbage", "must start with http:// or https://"),
        ("http:///api", "names no host"),
        ("http://exa mple.com/api", "names no host"),
        ("http://[::1/api", "not a URL"),
        ("http://127.0.0.1:99999/api", "not a URL"),
        ("http://127.0.0.1:port/api", "not a URL"),
        ("http://127.0.0.1:3000/api?stage=prod", "query or a fragment"),
    ],
)
def test_a_malformed_endpoint_is_a_configuration_error_naming_the_problem(given: str, says: str) -> None:
    # Given an endpoint that is not an http(s) URL with a host, when it is resolved, then it is refused
    with pytest.raises(ConfigurationError, match=says) as refused:
        endpoints.resolve(given)
    assert endpoints.EXAMPLE in str(refused.value)


def test_no_endpoint_at_all_says_where_to_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(endpoints.VARIABLE, raising=False)
    with pytest.raises(ConfigurationError, match="XTASKS_ENDPOINT"):
        endpoints.resolve(None)


def test_a_well_formed_endpoint_is_kept_without_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(endpoints.VARIABLE, " https://abc123.execute-api.eu-west-1.amazonaws.com/api/ ")
    resolved = endpoints.resolve(None)
    assert resolved == "https://abc123.execute-api.eu-west-1.amazonaws.com/api"
    assert endpoints.region_in(resolved) == "eu-west-1"
    assert endpoints.resolve("http://[::1]:3000/api") == "http://[::1]:3000/api"


@pytest.mark.parametrize(
    ("endpoint", "lacks"),
    [("http://127.0.0.1:3000/api", False), ("http://127.0.0.1:3000/prod/api", False),
     ("http://127.0.0.1:3000", True), ("http://127.0.0.1:3000/api/jobs", True)],
)  # fmt: skip
def test_an_endpoint_lacks_api_unless_its_path_ends_in_it(endpoint: str, lacks: bool) -> None:
    assert endpoints.lacks_api(endpoint) is lacks


@pytest.mark.parametrize("value", [0, 1001, -1, "0", "1001", "-5", "abc", "1.5", "", True])
def test_a_count_outside_1_to_1000_is_refused(value: int | str) -> None:
    with pytest.raises(InvalidArgument, match=r"--max must be a whole number from 1 to 1000"):
        validation.count(value, "--max")


def test_a_count_from_1_to_1000_is_taken_from_text_or_number() -> None:
    assert [validation.count(v, "--max") for v in ("1", " 1000 ", 7)] == [1, 1000, 7]


def test_an_unknown_status_or_step_type_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InvalidArgument, match="started, finished, failed, aborted, unknown, not 'done'"):
        validation.status("done", "--status")
    with pytest.raises(InvalidArgument, match="validating, executing"):
        validation.step_type("copying")
    assert validation.status("FAILED") is Status.FAILED
    assert validation.step_type(StepType.FINALIZING) is StepType.FINALIZING


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf"])
def test_an_interval_must_be_a_positive_number_of_seconds(value: str) -> None:
    with pytest.raises(InvalidArgument, match="--interval must be a positive number"):
        validation.seconds(value, "--interval")


def test_invalid_arguments_are_value_errors_too() -> None:
    # Given Python callers who catch ValueError, when an argument is refused, then they catch it
    with pytest.raises(ValueError, match="page_size"):
        validation.count(0, "page_size")


def test_the_region_is_read_from_aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given only AWS_REGION (botocore reads AWS_DEFAULT_REGION) and credentials in the environment
    for name in ("AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/xtasks-test-config")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv(endpoints.VARIABLE, "http://127.0.0.1:3000/api")
    # When a client is made from the environment, then it signs for that region
    assert Client.from_env().region == "eu-central-1"
