"""Calling DynamoDB: the one client, its faults turned into the store's, and writes whose answer was lost
sent again until the outcome is known (rule 9: a 503 means nothing changed).

A write's answer can be lost after DynamoDB applied it (a read timeout, a dropped connection, an internal
error). Sending the very same request again tells what happened: a transaction carries a
``ClientRequestToken``, so DynamoDB answers a repeat of an applied transaction with success and changes
nothing; a single-item write is conditional on the state it changes, so a repeat of an applied one fails its
condition and returns the item as it now is, from which the caller decides again (finding the change made).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from external_tasks.errors import Unavailable, Unconfirmed
from external_tasks.model import Job, Step
from external_tasks.store import items
from external_tasks.store.base import Changed

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from mypy_boto3_dynamodb.client import DynamoDBClient

# How long a write whose answer was lost is sent again before the client is told the outcome is unknown.
RESEND_SECONDS = 8.0

# Faults after which DynamoDB has certainly not applied the request: the client is told to come back.
_REFUSED = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)
# Faults after which a write may or may not have been applied.
_UNCERTAIN = frozenset({"InternalServerError", "ServiceUnavailable", "TransactionInProgressException"})
# A single-item write that met a transaction in flight on its item: nothing applied; read and decide again.
_MET_A_TRANSACTION = "TransactionConflictException"
_CONTENTION = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
_REFUSED_CANCELLATIONS = frozenset(
    {"None", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)


class _Uncertain(Unavailable):
    """DynamoDB's answer was lost: the request may have been applied."""


_made: DynamoDBClient | None = None
_making = threading.Lock()


def client() -> DynamoDBClient:
    """This execution environment's one DynamoDB client, made on first use. A listing's threads may ask for it
    at once: it is made once (making one takes longer than a query)."""
    global _made  # noqa: PLW0603 - one client per execution environment
    if _made is None:
        with _making:
            if _made is None:
                _made = _new_client()
    return _made


def forget_client() -> None:
    """Make the next ``client()`` a new one (tests: after moto starts, or the endpoint changes)."""
    global _made  # noqa: PLW0603
    _made = None


def _new_client() -> DynamoDBClient:
    # botocore directly: boto3's own import costs a cold start more than the whole rest of a route.
    import botocore.config
    import botocore.session

    # DynamoDB answers in milliseconds; a call that hangs is cut off. botocore sends each call once: ``read``
    # and ``write`` send again, knowing what each answer means (a retry botocore made after a lost answer
    # could come back throttled, hiding that the first sending was applied).
    config = botocore.config.Config(
        connect_timeout=1,
        read_timeout=2,
        retries={"mode": "standard", "max_attempts": 1},
        tcp_keepalive=True,
        max_pool_connections=32,  # a listing reads its shards in parallel
    )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    session = botocore.session.get_session()
    return session.create_client("dynamodb", region_name=region, config=config)  # type: ignore[return-value]


_pool: ThreadPoolExecutor | None = None


def _threads() -> ThreadPoolExecutor:
    """This execution environment's threads for calls made at once, started on first use (starting threads
    for each request would cost more than the calls they wait on)."""
    global _pool  # noqa: PLW0603 - one pool per execution environment
    if _pool is None:
        # Imported here: ~40 ms of a cold start, which only the routes that fan out pay.
        from concurrent.futures import ThreadPoolExecutor

        with _making:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="dynamodb")
    return _pool


def in_parallel[T, R](work: Callable[[T], R], inputs: Sequence[T]) -> list[R]:
    """``work`` on every input at once."""
    if len(inputs) <= 1:
        return [work(item) for item in inputs]
    return list(_threads().map(work, inputs))


def in_background[R](work: Callable[[], R]) -> Future[R]:
    """``work`` started now, for the caller to wait for when it needs the result."""
    return _threads().submit(work)


def _found(stored: list[Any]) -> tuple[Job | None, Step | None]:
    """The job and the step among the items a failed condition returned."""
    job = step = None
    for item in stored:
        if not item:
            continue
        if items.is_job(item):
            job = items.job_from_item(item)
        elif step is None and item["SK"]["S"].startswith(items.STEP_SK_PREFIX):
            step = items.step_from_item(item)
    return job, step


@contextmanager
def faults() -> Iterator[None]:
    """Turn DynamoDB's faults into ``Unavailable`` (``_Uncertain`` when a write may have been applied) and
    failed conditions into ``Changed``."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            raise Changed(*_found([error.response.get("Item")])) from error
        if code == _MET_A_TRANSACTION:
            raise Changed() from error
        if code == "TransactionCanceledException":
            cancellations = error.response.get("CancellationReasons", [])
            reasons = {r.get("Code", "None") for r in cancellations}
            if reasons & _CONTENTION:
                raise _changed(cancellations) from error
            if reasons <= _REFUSED_CANCELLATIONS:
                raise Unavailable(
                    f"The job store is busy ({', '.join(sorted(reasons))}); retry shortly"
                ) from error
            if reasons <= _REFUSED_CANCELLATIONS | {"InternalServerError"}:
                raise _Uncertain(
                    f"The job store failed ({', '.join(sorted(reasons))}); retry shortly"
                ) from error
            raise  # a request DynamoDB will never accept (ValidationError, …): a defect of ours, not a fault
        if code in _REFUSED:
            raise Unavailable(f"The job store is busy ({code}); retry shortly") from error
        if code in _UNCERTAIN:
            raise _Uncertain(f"The job store failed ({code}); retry shortly") from error
        raise
    except (ConnectionError, HTTPClientError) as error:
        from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

        message = f"The job store did not answer ({type(error).__name__}); retry shortly"
        if isinstance(error, EndpointConnectionError | ConnectTimeoutError):
            raise Unavailable(message) from error  # never connected: nothing was sent
        raise _Uncertain(message) from error


def _changed(cancellations: list[Any]) -> Changed:
    """A transaction cancelled by a failed condition: the job as it now is, when it was returned. The reasons
    stay on the exception, in the order of the transaction's items, for the caller to read further."""
    job, _ = _found([r.get("Item") for r in cancellations])
    changed = Changed(job)
    changed.reasons = cancellations
    return changed


_READ_ATTEMPTS = 3


def read[T](call: Callable[[], T]) -> T:
    """A read, sent again a couple of times on a fault; then a 503, since nothing changed."""
    for attempt in range(_READ_ATTEMPTS):
        try:
            with faults():
                return call()
        except Unavailable:
            if attempt == _READ_ATTEMPTS - 1:
                raise
            time.sleep(0.02 * 4**attempt)
    raise AssertionError("unreachable")


def write[T](call: Callable[[], T]) -> T:
    """A write, sent again while its outcome is unknown. ``Unavailable`` only when it was certainly not
    applied; ``Unconfirmed`` when DynamoDB never answered within ``RESEND_SECONDS``. Once one sending may
    have been applied, a refusal of a later one says nothing of the first: it is sent again too."""
    deadline = time.monotonic() + RESEND_SECONDS
    attempt = 0
    uncertain = False
    while True:
        try:
            with faults():
                return call()
        except Unavailable as error:
            if not uncertain and not isinstance(error, _Uncertain):
                raise
            uncertain = True
            attempt += 1
            if time.monotonic() > deadline:
                raise Unconfirmed(
                    "The job store did not confirm the change (it may have been made): "
                    "read the job before repeating the request"
                ) from error
            time.sleep(min(0.5, 0.02 * 2**attempt))
