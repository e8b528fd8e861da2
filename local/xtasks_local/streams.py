"""DynamoDB stream event source mappings, locally: a function of template.yaml with a ``DynamoDB`` event gets
the table's stream records, filtered by its ``FilterCriteria``, in batches, as Lambda would deliver them.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from xtasks_local.template import LambdaHandler, Template, load_handler

_POLL_SECONDS = 1.0
_ATTEMPTS = 5


def matches(pattern: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Lambda's event filtering (and EventBridge's rules), for the patterns this template uses: nested
    objects whose leaves list the values allowed, or ``{"prefix": …}`` of them."""
    for name, wanted in pattern.items():
        if name not in record:
            return False
        value = record[name]
        if isinstance(wanted, dict):
            if not isinstance(value, dict) or not matches(wanted, value):
                return False
        elif not any(_allows(allowed, value) for allowed in wanted):
            return False
    return True


def _allows(allowed: Any, value: Any) -> bool:
    if isinstance(allowed, dict) and "prefix" in allowed:
        return isinstance(value, str) and value.startswith(allowed["prefix"])
    return bool(allowed == value)


_TTL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def as_aws_writes_it(record: dict[str, Any], stream_arn: str, key_names: frozenset[str]) -> dict[str, Any]:
    """A stream record as AWS writes it and Lambda delivers it.

    DynamoDB Local (3.3) writes a TTL deletion with the eventName ``UNKNOWN_TO_SDK_VERSION``, without
    ``userIdentity`` and with every index key among its ``Keys``; AWS writes ``REMOVE``, the TTL service as
    the identity, and the table's keys.
    """
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    dynamodb["Keys"] = {name: value for name, value in dynamodb["Keys"].items() if name in key_names}
    delivered = {**record, "dynamodb": dynamodb, "eventSourceARN": stream_arn}
    if (
        record["eventName"] == "UNKNOWN_TO_SDK_VERSION"
        and "OldImage" in dynamodb
        and "NewImage" not in dynamodb
    ):
        delivered |= {"eventName": "REMOVE", "userIdentity": _TTL}
    return delivered


class StreamMapping(threading.Thread):
    """Polls every shard of one stream and hands matching records to one function."""

    def __init__(
        self,
        name: str,
        handler: LambdaHandler,
        patterns: list[dict[str, Any]],
        *,
        streams: Any,
        arn: str,
        batch: int,
        key_names: frozenset[str],
    ) -> None:
        super().__init__(name=f"stream-{name}", daemon=True)
        self.function, self.handler, self.patterns = name, handler, patterns
        self.streams, self.arn, self.batch, self.key_names = streams, arn, batch, key_names
        self.stopping = threading.Event()
        self._iterators: dict[str, str | None] = {}

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        while not self.stopping.wait(_POLL_SECONDS):
            try:
                self._poll()
            except Exception as error:  # the local server keeps serving; the next poll tries again
                sys.stderr.write(f"{self.function}: stream polling failed: {error}\n")

    def _poll(self) -> None:
        for shard in self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue  # a closed shard, read to its end
            reply = self.streams.get_records(ShardIterator=iterator, Limit=self.batch)
            self._iterators[shard_id] = reply.get("NextShardIterator")
            records = [as_aws_writes_it(r, self.arn, self.key_names) for r in reply.get("Records", [])]
            wanted = [r for r in records if not self.patterns or any(matches(p, r) for p in self.patterns)]
            if wanted:
                self._deliver(wanted)

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        """Invoke the function; records it reports as failed are delivered again, a few times."""
        for _ in range(_ATTEMPTS):
            reply = self.handler({"Records": records}, None) or {}
            failed = {failure["itemIdentifier"] for failure in reply.get("batchItemFailures", [])}
            if not failed:
                return
            first = next(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failed)
            records = records[first:]
            time.sleep(_POLL_SECONDS)
        sys.stderr.write(f"{self.function}: gave up on {len(records)} stream records\n")


def start(template: Template, table_name: str, endpoint: str, region: str) -> list[StreamMapping]:
    """A running mapping for every DynamoDB stream event in the template (the table is the template's)."""
    import botocore.session

    from xtasks_local.storage import LOCAL_ACCESS_KEY, client

    stream_arn = client(endpoint, region).describe_table(TableName=table_name)["Table"].get("LatestStreamArn")
    streams = botocore.session.get_session().create_client(
        "dynamodbstreams",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_ACCESS_KEY,
    )
    mappings = []
    for name, function in template.of_type("AWS::Serverless::Function").items():
        properties = function["Properties"]
        for event in properties.get("Events", {}).values():
            if event["Type"] != "DynamoDB" or stream_arn is None:
                continue
            settings = event["Properties"]
            patterns = [
                json.loads(f["Pattern"]) for f in settings.get("FilterCriteria", {}).get("Filters", [])
            ]
            handler = load_handler(
                (template.path.parent / properties["CodeUri"]).resolve(),
                properties.get("Handler", template.function_globals.get("Handler")),
            )
            batch = settings.get("BatchSize", 100)
            keys = frozenset(key["AttributeName"] for key in template.table_properties()["KeySchema"])
            mapping = StreamMapping(
                name, handler, patterns, streams=streams, arn=stream_arn, batch=batch, key_names=keys
            )
            mapping.start()
            mappings.append(mapping)
    return mappings
