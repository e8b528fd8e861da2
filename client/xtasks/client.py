"""The Python client: every operation of the API, signed with SigV4 by botocore, retried where it is safe.

from xtasks import Client

client = Client.from_env()                  # XTASKS_ENDPOINT, and the AWS credential chain
with client.job("Back up VM db01") as job:  # added; ended finished, or failed if the block raises
    with job.step("Copy disk") as step:
        ...
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl, quote, urlsplit

from xtasks.enums import Status, StepType

if TYPE_CHECKING:
    from botocore.credentials import Credentials
from xtasks import errors
from xtasks.resources import Job, Step

ENDPOINT_VARIABLE = "XTASKS_ENDPOINT"
_API_GATEWAY_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com")


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
        return json.loads(self.text) if self.text else None


def _encode(query: Sequence[tuple[str, str]]) -> str:
    # RFC 3986, as SigV4 canonicalises a query: what is signed is what is sent.
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)


def _fault(reply: Reply) -> errors.ApiError:
    try:
        data = reply.json()
    except ValueError:
        data = None
    reason, detail = "Error", reply.text[:500]
    if isinstance(data, dict):
        fault = data.get("fault", data)
        if "reason" in fault:
            reason, detail = fault["reason"], fault.get("detail", "")
        elif "message" in data or "Message" in data:  # API Gateway's own refusals
            reason, detail = (
                "Forbidden" if reply.status == 403 else "Error",
                data.get("message") or data["Message"],
            )
    return errors.for_status(reply.status)(reply.status, reason, detail)


class Client:
    """A connection to one External Tasks API.

    ``endpoint`` is the API's base URL, ending in ``/api`` (or ``$XTASKS_ENDPOINT``). Credentials and region
    come from the standard AWS chain (environment, ``profile``, instance or task role) unless given; the
    region of an API Gateway URL is read from the URL itself.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        profile: str | None = None,
        region: str | None = None,
        credentials: Credentials | None = None,
        retries: Retries | None = None,
        timeout: int = 30,
    ) -> None:
        import botocore.session
        from botocore.httpsession import URLLib3Session

        endpoint = endpoint or os.environ.get(ENDPOINT_VARIABLE)
        if not endpoint:
            raise errors.ConfigurationError(
                f"No endpoint: pass --endpoint or set {ENDPOINT_VARIABLE} to the API's URL, ending in /api"
            )
        self.endpoint = endpoint.rstrip("/")
        session = botocore.session.Session(profile=profile)
        try:
            found: Credentials | None = credentials or session.get_credentials()
        except Exception as error:  # botocore raises several kinds for a bad profile or config
            raise errors.ConfigurationError(f"AWS credentials could not be loaded: {error}") from None
        if found is None:
            raise errors.ConfigurationError(
                "No AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            )
        self._credentials: Credentials = found
        host = urlsplit(self.endpoint).hostname or ""
        from_url = _API_GATEWAY_HOST.match(host)
        self.region = (
            region or (from_url["region"] if from_url else None) or session.get_config_variable("region")
        )
        if not self.region:
            raise errors.ConfigurationError("No region to sign for: pass --region or set AWS_REGION")
        self.retries = retries or Retries()
        self._http = URLLib3Session(timeout=timeout)

    @classmethod
    def from_env(cls) -> Client:
        """Everything from the environment: ``XTASKS_ENDPOINT``, ``AWS_PROFILE``, ``AWS_REGION``, …"""
        return cls()

    # Transport.

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
        reply raises the matching ApiError."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.exceptions import HTTPClientError

        url = self.endpoint + path + (f"?{_encode(query)}" if query else "")
        media = "application/xml" if xml else "application/json"
        sent_headers = {"Accept": media, "User-Agent": "xtasks", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent_headers["Content-Type"] = "application/json"
        for attempt in range(self.retries.attempts):
            signed = AWSRequest(method=method, url=url, data=data, headers=dict(sent_headers))
            SigV4Auth(self._credentials, "execute-api", self.region).add_auth(signed)
            try:
                response = self._http.send(signed.prepare())
            except HTTPClientError as error:
                if not repeatable or attempt == self.retries.attempts - 1:
                    raise errors.ConnectionFailed(f"{method} {url}: {error}") from None
                time.sleep(self.retries.wait(attempt, None))
                continue
            reply = Reply(
                response.status_code, dict(response.headers), response.content.decode("utf-8", "replace")
            )
            if reply.status in (429, 503) and attempt < self.retries.attempts - 1:
                time.sleep(self.retries.wait(attempt, reply.header("Retry-After")))
                continue
            if reply.status >= 400:
                raise _fault(reply)
            return reply
        raise AssertionError("unreachable: the last attempt returns or raises")

    def listing(self, path: str, query: list[tuple[str, str]], kind: str) -> Iterator[dict[str, Any]]:
        """The items of a listing (``kind``: job or step) as the API wrote them, across its pages."""
        while True:
            reply = self.request("GET", path, query=query)
            yield from reply.json().get(kind, [])
            following = reply.header("Link")
            if not following or 'rel="next"' not in following:
                return
            query = parse_qsl(urlsplit(following[following.index("<") + 1 : following.index(">")]).query)

    # Jobs.

    def add_job(
        self,
        description: str,
        *,
        auto_cleared: bool = True,
        correlation_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """A new job. Sent with an Idempotency-Key (a fresh one unless given), so that a retry after a lost
        answer returns the same job instead of adding another."""
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        if correlation_id:
            headers["Correlation-Id"] = correlation_id
        body = {"description": description, "auto_cleared": auto_cleared}
        return Job.from_json(self.request("POST", "/jobs", body=body, headers=headers).json())

    def get_job(self, job_id: str, *, steps: bool = False) -> Job:
        query = [("follow", "steps")] if steps else []
        return Job.from_json(self.request("GET", f"/jobs/{job_id}", query=query).json())

    def list_jobs(
        self, *, search: str | None = None, status: Status | str | None = None, page_size: int | None = None
    ) -> Iterator[Job]:
        """Every job matching, newest first, fetched a page at a time as the iteration goes."""
        query = [(k, str(v)) for k, v in (("search", search), ("status", status), ("max", page_size)) if v]
        return (Job.from_json(data) for data in self.listing("/jobs", query, "job"))

    def end_job(self, job_id: str, *, succeeded: bool = True, force: bool = False) -> None:
        self.request("POST", f"/jobs/{job_id}/end", body={"succeeded": succeeded, "force": force})

    def clear_job(self, job_id: str) -> None:
        self.request("POST", f"/jobs/{job_id}/clear", body={})

    # Steps.

    def add_step(
        self,
        job_id: str,
        description: str,
        type: StepType | str = StepType.EXECUTING,
        *,
        parent_step: str | None = None,
        idempotency_key: str | None = None,
    ) -> Step:
        """A new step, sent with an Idempotency-Key like ``add_job``."""
        body: dict[str, Any] = {"description": description, "type": str(type)}
        if parent_step is not None:
            body["parent_step"] = {"id": parent_step}
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        reply = self.request("POST", f"/jobs/{job_id}/steps", body=body, headers=headers)
        return Step.from_json(reply.json())

    def get_step(self, job_id: str, step_id: str) -> Step:
        return Step.from_json(self.request("GET", f"/jobs/{job_id}/steps/{step_id}").json())

    def list_steps(self, job_id: str, *, page_size: int | None = None) -> Iterator[Step]:
        """The job's steps in tree order, a page at a time as the iteration goes."""
        query = [("max", str(page_size))] if page_size else []
        return (Step.from_json(data) for data in self.listing(f"/jobs/{job_id}/steps", query, "step"))

    def end_step(self, job_id: str, step_id: str, *, succeeded: bool = True, force: bool = False) -> None:
        self.request(
            "POST", f"/jobs/{job_id}/steps/{step_id}/end", body={"succeeded": succeeded, "force": force}
        )

    def capabilities(self) -> dict[str, Any]:
        data: dict[str, Any] = self.request("GET", "/capabilities").json()
        return data

    # For plug-ins.

    def job(self, description: str, *, auto_cleared: bool = True) -> JobScope:
        """A job that lives as long as a ``with`` block: finished when it ends, failed when it raises."""
        return JobScope(self, description, auto_cleared)


def _finish(end: Callable[[bool], None], error: BaseException | None) -> None:
    """End a job or step by how its block ended. When the block raised and the job or step had already
    ended otherwise (a failed step fails its job), the block's own error is the one that matters."""
    try:
        end(error is None)
    except errors.Conflict:
        if error is None:
            raise


class StepScope:
    """A step for the length of a ``with`` block (``job.step(...)``, or ``step.step(...)`` for a sub-step)."""

    def __init__(
        self, client: Client, job_id: str, parent_id: str | None, description: str, kind: StepType | str
    ) -> None:
        self.client, self.job_id, self.parent_id = client, job_id, parent_id
        self.description, self.kind = description, kind
        self.id = ""
        self.step_data: Step | None = None

    def __enter__(self) -> Self:
        self.step_data = self.client.add_step(
            self.job_id, self.description, self.kind, parent_step=self.parent_id
        )
        self.id = self.step_data.id
        return self

    def step(self, description: str, type: StepType | str = StepType.EXECUTING) -> StepScope:
        return StepScope(self.client, self.job_id, self.id, description, type)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        _finish(lambda succeeded: self.client.end_step(self.job_id, self.id, succeeded=succeeded), error)


class JobScope:
    """A job for the length of a ``with`` block (``client.job(...)``)."""

    def __init__(self, client: Client, description: str, auto_cleared: bool) -> None:
        self.client, self.description, self.auto_cleared = client, description, auto_cleared
        self.id = ""
        self.job: Job | None = None

    def __enter__(self) -> Self:
        self.job = self.client.add_job(self.description, auto_cleared=self.auto_cleared)
        self.id = self.job.id
        return self

    def step(self, description: str, type: StepType | str = StepType.EXECUTING) -> StepScope:
        return StepScope(self.client, self.id, None, description, type)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        _finish(lambda succeeded: self.client.end_job(self.id, succeeded=succeeded), error)
