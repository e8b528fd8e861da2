"""Settings from the environment the template gives every function."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from external_tasks import limits, observability
from external_tasks.errors import Misconfigured, Unavailable


@dataclass(frozen=True, slots=True)
class CleanupDelays:
    """rule 6: minutes an auto-cleared job stays readable after it ends."""

    succeeded_minutes: float = 10
    failed_minutes: float = 60


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    cleanup: CleanupDelays
    admin_principals: frozenset[str]
    # State machines add step may start (docs/api.md: Monitored executions), from MonitoredStateMachines.
    monitored_state_machines: tuple[str, ...] = ()
    default_job_timeout: int | None = None  # seconds, from DefaultJobTimeoutSeconds (0 there: None)


def _minutes(name: str, default: float, problems: list[str]) -> float:
    """Whole minutes as deployed; fractions are allowed (a local server may clear jobs in seconds)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not 0 <= value < float("inf"):
        problems.append(f"{name} must be 0 or more minutes, not {raw!r}")
        return default
    return int(value) if value.is_integer() else value


@functools.cache
def settings() -> Settings:
    """Read once per execution environment; ``settings.cache_clear()`` re-reads (tests). Misconfigured names
    every variable that is missing or malformed."""
    problems: list[str] = []
    table_name = os.environ.get("TABLE_NAME", "").strip()
    if not table_name:
        problems.append("TABLE_NAME is not set")
    if not (os.environ.get("PAGE_TOKEN_KEY") or os.environ.get("PAGE_TOKEN_SECRET_ARN")):
        problems.append("PAGE_TOKEN_SECRET_ARN is not set")
    cleanup = CleanupDelays(
        succeeded_minutes=_minutes("SUCCEEDED_JOB_CLEANUP_MINUTES", 10, problems),
        failed_minutes=_minutes("FAILED_JOB_CLEANUP_MINUTES", 60, problems),
    )
    job_timeout = _job_timeout(problems)
    if problems:
        raise Misconfigured(problems)
    admins = os.environ.get("ADMIN_PRINCIPALS", "")
    return Settings(
        table_name=table_name,
        cleanup=cleanup,
        admin_principals=frozenset(arn.strip() for arn in admins.split(",") if arn.strip()),
        monitored_state_machines=_arns(os.environ.get("MONITORED_STATE_MACHINES", "")),
        default_job_timeout=job_timeout,
    )


def _arns(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(arn.strip() for arn in text.split(",") if arn.strip()))


def _job_timeout(problems: list[str]) -> int | None:
    """DefaultJobTimeoutSeconds: the timeout of jobs added without one; None (0 in the template) for none."""
    raw = os.environ.get("DEFAULT_JOB_TIMEOUT_SECONDS", "").strip() or "0"
    lowest, highest = limits.MIN_JOB_TIMEOUT_SECONDS, limits.MAX_JOB_TIMEOUT_SECONDS
    if not raw.isdigit() or (int(raw) != 0 and not lowest <= int(raw) <= highest):
        problems.append(f"DEFAULT_JOB_TIMEOUT_SECONDS must be 0 or {lowest} to {highest}, not {raw!r}")
        return None
    return int(raw) or None


def default_job_timeout() -> int | None:
    return settings().default_job_timeout


def check_at_start() -> None:
    """At a cold start: a misconfiguration is one log line now, then the Misconfigured error of every
    invocation (a 503 from an API route, a failed run elsewhere), never a 500 on some later request."""
    try:
        settings()
    except Misconfigured as error:
        observability.logger().error("invalid configuration", extra={"problems": error.problems})


@functools.cache
def page_token_key() -> bytes:
    """The secret that authenticates page tokens (rule 10), read once per execution environment and only
    when a listing has a token to make or check: deployed, the Secrets Manager secret the template generates
    (``PAGE_TOKEN_SECRET_ARN``); locally and in tests, ``PAGE_TOKEN_KEY`` itself."""
    local = os.environ.get("PAGE_TOKEN_KEY")
    if local:
        return local.encode()
    arn = os.environ.get("PAGE_TOKEN_SECRET_ARN")
    if not arn:
        raise Misconfigured(["PAGE_TOKEN_SECRET_ARN is not set"])
    from aws_lambda_powertools.utilities import parameters

    try:
        secret = parameters.get_secret(arn, max_age=24 * 60 * 60)
    except parameters.exceptions.GetParameterError as error:
        raise Unavailable("The page token key could not be read; retry shortly") from error
    return str(secret).encode()
