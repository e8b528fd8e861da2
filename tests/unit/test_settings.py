"""The functions' settings are checked once, all at once: a misconfiguration names every variable at fault."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from external_tasks.config import CleanupDelays, settings
from external_tasks.errors import Misconfigured


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name, value in {
        "TABLE_NAME": "jobs",
        "PAGE_TOKEN_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:page-tokens",
        "SUCCEEDED_JOB_CLEANUP_MINUTES": "10",
        "FAILED_JOB_CLEANUP_MINUTES": "0.5",
        "ADMIN_PRINCIPALS": " arn:aws:iam::1:role/a ,,arn:aws:iam::1:role/b",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PAGE_TOKEN_KEY", raising=False)
    settings.cache_clear()
    yield monkeypatch
    settings.cache_clear()


def test_the_template_s_variables_make_the_settings(configured: pytest.MonkeyPatch) -> None:
    found = settings()
    assert found.table_name == "jobs"
    assert found.cleanup == CleanupDelays(succeeded_minutes=10, failed_minutes=0.5)
    assert found.admin_principals == {"arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"}
    assert found.default_job_timeout is None


def test_a_default_job_timeout_is_0_or_a_lease_length(configured: pytest.MonkeyPatch) -> None:
    configured.setenv("DEFAULT_JOB_TIMEOUT_SECONDS", "600")
    assert settings().default_job_timeout == 600
    for wrong in ("30", "604801", "ten", "-60"):
        configured.setenv("DEFAULT_JOB_TIMEOUT_SECONDS", wrong)
        settings.cache_clear()
        with pytest.raises(Misconfigured) as raised:
            settings()
        assert [p.split()[0] for p in raised.value.problems] == ["DEFAULT_JOB_TIMEOUT_SECONDS"]


def test_every_missing_or_malformed_variable_is_named_at_once(configured: pytest.MonkeyPatch) -> None:
    configured.delenv("TABLE_NAME")
    configured.delenv("PAGE_TOKEN_SECRET_ARN")
    configured.setenv("SUCCEEDED_JOB_CLEANUP_MINUTES", "-1")
    configured.setenv("FAILED_JOB_CLEANUP_MINUTES", "inf")
    configured.setenv("DEFAULT_JOB_TIMEOUT_SECONDS", "59")
    with pytest.raises(Misconfigured) as raised:
        settings()
    assert raised.value.problems == [
        "TABLE_NAME is not set",
        "PAGE_TOKEN_SECRET_ARN is not set",
        "SUCCEEDED_JOB_CLEANUP_MINUTES must be 0 or more minutes, not '-1'",
        "FAILED_JOB_CLEANUP_MINUTES must be 0 or more minutes, not 'inf'",
        "DEFAULT_JOB_TIMEOUT_SECONDS must be 0 or 60 to 604800, not '59'",
    ]
    assert "not configured correctly" in raised.value.detail


def test_a_fixed_environment_is_read_again(configured: pytest.MonkeyPatch) -> None:
    """A failed read is not cached: once the variable is there, the next invocation works."""
    configured.setenv("TABLE_NAME", " ")
    with pytest.raises(Misconfigured):
        settings()
    configured.setenv("TABLE_NAME", "jobs")
    assert settings().table_name == "jobs"
