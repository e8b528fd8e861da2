"""The table's stream, published as change events (change_events.py says what each change becomes,
eventbus.py how they are sent).

A batch of stream records is published in stream order. Powertools' batch processing reports the records
whose events were not published (ReportBatchItemFailures): Lambda delivers the batch again from the first of
them, so that every event is published at least once, and never one of a job before an earlier one of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from external_tasks import change_events, eventbus, observability
from external_tasks.store import calls, job_store


class NotPublished(Exception):
    """A record some of whose events were not published."""


def publish_changes(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    records = event.get("Records", [])
    facts = change_events.facts_shown(records)
    wanted = sorted(change_events.jobs_to_read(records))
    if wanted:
        for job in calls.in_parallel(job_store().get_job, wanted):
            if job is not None:
                facts[job.id] = change_events.facts_of(job)
    events = [found for record in records for found in change_events.events_of(record, facts)]
    not_published = {events[position].record for position in eventbus.publish(events)}
    published = len(events) - sum(1 for e in events if e.record in not_published)
    if published:
        observability.count("ChangeEventPublished", published)
    observability.flush_metrics()

    def check(record: DynamoDBRecord) -> None:
        sequence = record.dynamodb.sequence_number if record.dynamodb else None
        if sequence in not_published:
            raise NotPublished(f"record {sequence}: its events were not all published")

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return dict(process_partial_response(dict(event), check, processor, context))
