"""Idempotent creates: a request that carries an ``Idempotency-Key`` is done once per caller and key.

Powertools Idempotency keeps a record per (caller, key) in the jobs table (a partition of its own, expiring
through the table's TTL). A retry gets the first result again; the same key with another body is refused
(422); a retry arriving while the first is still being handled is told to come back (409, Retry-After), as
the IETF Idempotency-Key draft has it. Powertools is loaded only for requests that carry a key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from external_tasks.errors import IdempotencyKeyReused, StillInProgress, Unavailable

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

RECORD_SECONDS = 24 * 60 * 60  # how long a key is remembered
PARTITION = "IDEMPOTENCY"


@functools.cache
def _persistence(table_name: str) -> DynamoDBPersistenceLayer:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from external_tasks.store.dynamodb import _client

    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value=PARTITION,
        expiry_attr="expires_at",  # the table's TTL attribute
        boto3_client=_client(),
    )


def once(
    operation: str,
    *,
    caller: str,
    key: str,
    payload: Mapping[str, Any],
    work: Callable[[], dict[str, Any]],
    table_name: str,
    context: Any = None,
) -> dict[str, Any]:
    """``work()``'s result, done only the first time ``caller`` sends ``key`` for ``operation``."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    config = IdempotencyConfig(
        event_key_jmespath="[caller, key]",
        payload_validation_jmespath="payload",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=RECORD_SECONDS,
    )
    if hasattr(context, "get_remaining_time_in_millis"):
        config.register_lambda_context(context)  # an interrupted first attempt does not block retries forever

    @idempotent_function(  # type: ignore[untyped-decorator]  # Powertools' decorator is not typed
        data_keyword_argument="request",
        persistence_store=_persistence(table_name),
        config=config,
        key_prefix=operation,
    )
    def run(request: dict[str, Any]) -> dict[str, Any]:
        return work()

    try:
        result: dict[str, Any] = run(request={"caller": caller, "key": key, "payload": dict(payload)})
    except IdempotencyValidationError:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was used before with another body: use a new key for a new request"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise StillInProgress(
            f"A request with Idempotency-Key {key!r} is still being handled; retry shortly"
        ) from None
    except IdempotencyPersistenceLayerError as error:
        raise Unavailable(f"The job store is busy ({type(error).__name__}); retry shortly") from error
    return result
