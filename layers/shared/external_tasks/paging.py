"""Page tokens: opaque to clients, bound to the listing and query they came from, tamper-evident.

A token is ``<payload>.<mac>``: the payload says where the next page starts, the MAC (HMAC-SHA256 keyed with
the deployment's key) covers the payload and the listing it belongs to, so a token altered in any way or
replayed against another listing, job or query is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from external_tasks.errors import Invalid

type Cursor = list[str | int]

_MAC_BYTES = 16
MAX_TOKEN_LENGTH = 1_024
# Every token encode() makes, for openapi/openapi.json: base64url payload, a dot, the base64url MAC. Only the
# service can make one that decode() accepts.
TOKEN_PATTERN = f"^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{{{-(-_MAC_BYTES * 4 // 3)}}}$"


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, listing: str, payload: str) -> str:
    digest = hmac.new(key, f"{listing}\n{payload}".encode(), hashlib.sha256).digest()
    return _b64encode(digest[:_MAC_BYTES])


def encode(cursor: Cursor, listing: str, key: bytes) -> str:
    payload = _b64encode(json.dumps(cursor, separators=(",", ":")).encode())
    return f"{payload}.{_mac(key, listing, payload)}"


def decode(token: str, listing: str, key: bytes) -> Cursor:
    """The cursor in ``token``, or Invalid when it is not a token of this listing."""
    refused = Invalid("page token is not valid for this listing: pass the page value of the previous reply")
    payload, dot, mac = token.partition(".")
    if not dot or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise refused
    if not hmac.compare_digest(mac, _mac(key, listing, payload)):
        raise refused
    try:
        cursor = json.loads(_b64decode(payload))
    except (ValueError, binascii.Error) as error:
        raise refused from error
    if not isinstance(cursor, list) or not all(isinstance(part, str | int) for part in cursor):
        raise refused
    return cursor
