"""The Python client: every operation of the API, signed with SigV4 by botocore, retried where it is safe.

from xtasks import Client

client = Client.from_env()                  # XTASKS_ENDPOINT, and the AWS credential chain
with client.job("Back up VM db01") as job:  # added; ended finished, or failed if the block raises
    with job.step("Copy disk") as step:
        ...

Every failure raises an xtasks.errors exception: ConfigurationError (no endpoint, a malformed one, no
credentials or region), InvalidArgument (refused before sending), ConnectionFailed (unreachable), ApiError
and its kinds (the API refused), UnexpectedReply (something else answered).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from xtasks import endpoint as endpoints
from xtasks import errors, signing, validation
from xtasks.enums import Status, StepType
from xtasks.resources import Job, Step
from xtasks.scopes import JobScope
from xtasks.transport import Reply, Retries, Transport

if TYPE_CHECKING:
    from botocore.credentials import Credentials


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
        self.endpoint = endpoints.resolve(endpoint)
        signer = signing.signer(self.endpoint, profile=profile, region=region, credentials=credentials)
        self.region = signer.region
        self.retries = retries or Retries()
        self._transport = Transport(self.endpoint, signer, self.retries, timeout)

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
        """One signed request, as the API answers it; see Transport.request."""
        return self._transport.request(
            method, path, query=query, body=body, xml=xml, headers=headers, repeatable=repeatable
        )

    def listing(self, path: str, query: list[tuple[str, str]], kind: str) -> Iterator[dict[str, Any]]:
        """The items of a listing (``kind``: job or step) as the API wrote them, across its pages."""
        while True:
            reply = self.request("GET", path, query=query)
            data = reply.json()
            if not isinstance(data, dict):
                raise errors.UnexpectedReply(
                    f"the reply is not a list of {kind}s as External Tasks writes one"
                )
            yield from data.get(kind, [])
            following = reply.header("Link")
            if not following or 'rel="next"' not in following or "<" not in following:
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
        timeout: int | None = None,
    ) -> Job:
        """A new job. Sent with an Idempotency-Key (a fresh one unless given), so that a retry after a lost
        answer returns the same job instead of adding another. With a ``timeout`` (seconds, 60 to 604800),
        the job ends unknown unless something renews its lease within it (``heartbeat``)."""
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        if correlation_id:
            headers["Correlation-Id"] = correlation_id
        body: dict[str, Any] = {"description": description, "auto_cleared": auto_cleared}
        if timeout is not None:
            body["timeout"] = validation.timeout(timeout)
        return Job.from_json(self.request("POST", "/jobs", body=body, headers=headers).json())

    def get_job(self, job_id: str, *, steps: bool = False) -> Job:
        query = [("follow", "steps")] if steps else []
        return Job.from_json(self.request("GET", f"/jobs/{job_id}", query=query).json())

    def list_jobs(
        self, *, search: str | None = None, status: Status | str | None = None, page_size: int | None = None
    ) -> Iterator[Job]:
        """Every job matching, newest first, fetched a page at a time as the iteration goes. ``page_size``
        (1..1000) and ``status`` are checked here, before anything is sent."""
        query = jobs_query(
            search,
            None if status is None else validation.status(status),
            None if page_size is None else validation.count(page_size, "page_size"),
        )
        return (Job.from_json(data) for data in self.listing("/jobs", query, "job"))

    def end_job(self, job_id: str, *, succeeded: bool = True, force: bool = False) -> None:
        self.request("POST", f"/jobs/{job_id}/end", body={"succeeded": succeeded, "force": force})

    def clear_job(self, job_id: str) -> None:
        self.request("POST", f"/jobs/{job_id}/clear", body={})

    def report_job_progress(self, job_id: str, progress: int) -> Job:
        """The job's progress (0 to 100 percent); it renews the job's lease too."""
        body = {"progress": validation.progress(progress)}
        return Job.from_json(self.request("PUT", f"/jobs/{job_id}", body=body).json())

    def heartbeat(self, job_id: str) -> None:
        """Renew the job's lease: its deadline moves to now plus its timeout."""
        self.request("POST", f"/jobs/{job_id}/heartbeat", body={})

    # Steps.

    def add_step(
        self,
        job_id: str,
        description: str,
        type: StepType | str = StepType.EXECUTING,
        *,
        parent_step: str | None = None,
        idempotency_key: str | None = None,
        execution: str | None = None,
        state_machine: str | None = None,
        input: Mapping[str, Any] | None = None,
    ) -> Step:
        """A new step, sent with an Idempotency-Key like ``add_job``. ``execution``: the ARN of a running AWS
        execution (a Step Functions execution, CodeBuild build, Batch job or ECS task) that ends the step;
        ``state_machine`` (with its ``input``): a state machine for the service to start for the step (one
        of those GET /capabilities lists). A retry never starts a second execution."""
        body: dict[str, Any] = {"description": description, "type": str(validation.step_type(type))}
        if parent_step is not None:
            body["parent_step"] = {"id": parent_step}
        bound = execution_body(execution, state_machine, input)
        if bound is not None:
            body["execution"] = bound
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        reply = self.request("POST", f"/jobs/{job_id}/steps", body=body, headers=headers)
        return Step.from_json(reply.json())

    def get_step(self, job_id: str, step_id: str) -> Step:
        return Step.from_json(self.request("GET", f"/jobs/{job_id}/steps/{step_id}").json())

    def list_steps(self, job_id: str, *, page_size: int | None = None) -> Iterator[Step]:
        """The job's steps in tree order, a page at a time as the iteration goes."""
        query = [] if page_size is None else [("max", str(validation.count(page_size, "page_size")))]
        return (Step.from_json(data) for data in self.listing(f"/jobs/{job_id}/steps", query, "step"))

    def end_step(self, job_id: str, step_id: str, *, succeeded: bool = True, force: bool = False) -> None:
        self.request(
            "POST", f"/jobs/{job_id}/steps/{step_id}/end", body={"succeeded": succeeded, "force": force}
        )

    def report_step_progress(self, job_id: str, step_id: str, progress: int) -> Step:
        """The step's progress (0 to 100 percent). It does not renew the job's lease."""
        body = {"progress": validation.progress(progress)}
        return Step.from_json(self.request("PUT", f"/jobs/{job_id}/steps/{step_id}", body=body).json())

    def capabilities(self) -> dict[str, Any]:
        data: dict[str, Any] = self.request("GET", "/capabilities").json()
        return data

    # For plug-ins.

    def job(self, description: str, *, auto_cleared: bool = True, timeout: int | None = None) -> JobScope:
        """A job that lives as long as a ``with`` block: finished when it ends, failed when it raises. With a
        ``timeout``, a background thread sends heartbeats while the block runs, so the job ends unknown
        only if this process dies."""
        return JobScope(self, description, auto_cleared, timeout)


def execution_body(
    execution: str | None, state_machine: str | None, input: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """A step's ``execution``: bind (``execution``) or start (``state_machine``), never both."""
    if execution is not None and state_machine is not None:
        raise errors.InvalidArgument("give execution (an ARN to bind) or state_machine (to start), not both")
    if execution is not None:
        return {"arn": execution}
    if state_machine is not None:
        return {"state_machine": state_machine, "input": dict(input or {})}
    if input is not None:
        raise errors.InvalidArgument("input goes with state_machine")
    return None


def jobs_query(search: str | None, status: Status | None, page_size: int | None) -> list[tuple[str, str]]:
    """The query of a job listing, from arguments already checked."""
    query = [("search", search)] if search else []
    if status is not None:
        query.append(("status", str(status)))
    if page_size is not None:
        query.append(("max", str(page_size)))
    return query
