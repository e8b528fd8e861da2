"""The only code that talks to DynamoDB."""

from external_tasks.store.dynamodb import Changed, JobCursor, JobStore, StepCursor, job_store

__all__ = ["Changed", "JobCursor", "JobStore", "StepCursor", "job_store"]
