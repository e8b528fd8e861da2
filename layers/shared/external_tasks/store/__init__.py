"""Where jobs and steps are kept: the ``JobStore`` protocol (base.py), on DynamoDB (dynamodb.py, the only code
that talks to DynamoDB) or in memory (memory.py)."""

from external_tasks.store import dynamodb
from external_tasks.store.base import Changed, JobPosition, JobStore

_installed: JobStore | None = None


def use(store: JobStore | None) -> None:
    """Serve every operation from ``store`` (None: this environment's DynamoDB table again). For tests."""
    global _installed  # noqa: PLW0603 - one store per execution environment
    _installed = store


def job_store() -> JobStore:
    """The store of this execution environment: its DynamoDB table, unless another was installed."""
    return _installed or dynamodb.job_store()


__all__ = ["Changed", "JobPosition", "JobStore", "job_store", "use"]
