"""One signed request to the API: SigV4 by botocore, retried where it is safe, every failure raised as an
xtasks error (never a botocore one)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from xtasks import errors
from xtasks.faults import fault

if TYPE_CHECKING:
    from botocore.httpsession import URLLib3Session

    from xtasks.signing import Signer


@dataclass(frozen=True, slots=True)
class Retries:
    """How requests are retried: on 429 and 503 always (the service did nothing), on connection errors only
    when sending the request again cannot do a thing twice (creates carry an Idempotency-Key for that).
    Waits grow exponentially, with full jitter, at least as long as ``Retry-After`` says."""

    attempts: int = 5
    base: float = 0.25
    cap: float = 10.0

    def wait(self, attempt: int, retry_after: str | None) -> float:
        backoff = random.uniform(0, min(self.cap, self.base * 2**attempt))  # noqa: S311 - jitter, not crypto
        try:
            asked = float(retry_after) if retry_after else 0.0
        except ValueError:
            asked = 0.0
        return min(self.cap, max(backoff, asked))


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    text: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def json(self) -> Any:
        try:
            return json.loads(self.text) if self.text else None
        except ValueError:
            raise errors.UnexpectedReply(
                f"{self.status}: the reply is not JSON, so not External Tasks' (is the endpoint right?)"
            ) from None


def encode(query: Sequence[tuple[str, str]]) -> str:
    # RFC 3986, as SigV4 canonicalises a query: what is signed is what is sent.
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)


class Transport:
    """Sends to one endpoint, signed by one signer."""

    def __init__(self, endpoint: str, signer: Signer, retries: Retries, timeout: int) -> None:
        self.endpoint, self.signer, self.retries, self.timeout = endpoint, signer, retries, timeout
        self._http: URLLib3Session | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
        xml: bool = False,
        headers: Mapping[str, str] | None = None,
        repeatable: bool = True,
    ) -> Reply:
        """One signed request, retried on 429/503, and on connection errors when ``repeatable``; an error
        reply raises the matching ApiError, an unreachable API ConnectionFailed."""
        url = self.endpoint + path + (f"?{encode(query)}" if query else "")
        media = "application/xml" if xml else "application/json"
        sent_headers = {"Accept": media, "User-Agent": "xtasks", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent_headers["Content-Type"] = "application/json"
        for attempt in range(self.retries.attempts):
            last = attempt == self.retries.attempts - 1
            try:
                reply = self._send(method, url, data, sent_headers)
            except errors.ConnectionFailed:
                if not repeatable or last:
                    raise
                time.sleep(self.retries.wait(attempt, None))
                continue
            if reply.status in (429, 503) and not last:
                time.sleep(self.retries.wait(attempt, reply.header("Retry-After")))
                continue
            if not 200 <= reply.status < 300:
                raise fault(reply.status, reply.text, self.endpoint)
            return reply
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(self, method: str, url: str, data: bytes | None, headers: Mapping[str, str]) -> Reply:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.exceptions import BotoCoreError

        signed = AWSRequest(method=method, url=url, data=data, headers=dict(headers))
        try:
            SigV4Auth(self.signer.credentials, "execute-api", self.signer.region).add_auth(signed)
        except BotoCoreError as error:  # credentials that could not be refreshed
            raise errors.ConfigurationError(f"The request could not be signed: {error}") from None
        try:
            response = self._session().send(signed.prepare())
        except (
            BotoCoreError
        ) as error:  # refused, unknown host, timed out, closed, TLS: all wrapped by botocore
            raise errors.ConnectionFailed(f"Cannot reach {self.endpoint}: {error}") from None
        return Reply(
            response.status_code, dict(response.headers), response.content.decode("utf-8", "replace")
        )

    def _session(self) -> URLLib3Session:
        if self._http is None:
            from botocore.httpsession import URLLib3Session

            self._http = URLLib3Session(timeout=self.timeout)
        return self._http
