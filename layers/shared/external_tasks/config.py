"""Settings from the environment the template gives every function."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from external_tasks import limits


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


def _minutes(name: str, default: float) -> float:
    """Whole minutes as deployed; fractions are allowed (a local server may clear jobs in seconds)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = float(raw)
    if not 0 <= value < float("inf"):
        raise ValueError(f"{name} must be 0 or more minutes, not {raw}")
    return int(value) if value.is_integer() else value


@functools.cache
def settings() -> Settings:
    """Read once per execution environment; ``settings.cache_clear()`` re-reads (tests)."""
    admins = os.environ.get("ADMIN_PRINCIPALS", "")
    return Settings(
        table_name=os.environ["TABLE_NAME"],
        cleanup=CleanupDelays(
            succeeded_minutes=_minutes("SUCCEEDED_JOB_CLEANUP_MINUTES", 10),
            failed_minutes=_minutes("FAILED_JOB_CLEANUP_MINUTES", 60),
        ),
        admin_principals=frozenset(arn.strip() for arn in admins.split(",") if arn.strip()),
        monitored_state_machines=_arns(os.environ.get("MONITORED_STATE_MACHINES", "")),
    )


def _arns(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(arn.strip() for arn in text.split(",") if arn.strip()))


@functools.cache
def default_job_timeout() -> int | None:
    """DefaultJobTimeoutSeconds: the timeout of jobs added without one; None (0 in the template) for none."""
    raw = os.environ.get("DEFAULT_JOB_TIMEOUT_SECONDS", "").strip() or "0"
    seconds = int(raw)
    if seconds == 0:
        return None
    if not limits.MIN_JOB_TIMEOUT_SECONDS <= seconds <= limits.MAX_JOB_TIMEOUT_SECONDS:
        raise ValueError(
            f"DEFAULT_JOB_TIMEOUT_SECONDS must be 0 or {limits.MIN_JOB_TIMEOUT_SECONDS} to "
            f"{limits.MAX_JOB_TIMEOUT_SECONDS}, not {raw}"
        )
    return seconds


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
        raise RuntimeError("PAGE_TOKEN_SECRET_ARN is not set: the template gives it to every function")
    from aws_lambda_powertools.utilities import parameters

    from external_tasks.errors import Unavailable

    try:
        secret = parameters.get_secret(arn, max_age=24 * 60 * 60)
    except parameters.exceptions.GetParameterError as error:
        raise Unavailable("The page token key could not be read; retry shortly") from error
    return str(secret).encode()
