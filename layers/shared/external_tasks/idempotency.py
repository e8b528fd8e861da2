"""Idempotent creates: a request that carries an ``Idempotency-Key`` is done once per caller and key.

No record of its own, and no extra round trip: the new job's or step's id is derived from the caller and the
key (a name-based UUID), and the store creates an id only if it is not taken. A repeat finds the item the
first request made and answers with it; the same key with another body is refused (422), told apart by a
digest of the body kept on the item. A key is remembered as long as what it made exists.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from external_tasks.errors import Conflict, IdempotencyKeyReused

_NAMESPACE = uuid.UUID("6f0e1f4e-3f61-5d0c-9a51-7f1c3f4d2b8e")


def keyed_id(caller: str, key: str, *scope: str) -> str:
    """The id of what ``caller`` creates with ``key`` within ``scope`` (e.g. a job's steps)."""
    return str(uuid.uuid5(_NAMESPACE, "\n".join((*scope, caller, key))))


def digest(request: Mapping[str, Any]) -> str:
    """A digest of what a create asked for, to tell a repeat from another request with the same key."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()[:18]).decode("ascii")


def check_repeat(key: str, first: str | None, now: str | None) -> None:
    """A create found its id taken: a repeat of the first request with ``key`` goes on, anything else is
    refused."""
    if first != now:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was used before with another body: use a new key for a new request"
        )


def cleared_away(key: str, kind: str, ident: str) -> Conflict:
    """What a repeat is told once what its key made has been cleared away."""
    return Conflict(
        f"Idempotency-Key {key!r} made {kind} {ident}, which has since been cleared away: "
        "use a new key for a new request"
    )
