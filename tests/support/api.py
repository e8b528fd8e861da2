"""Calls the API's Lambda handlers the way API Gateway does: routes from template.yaml, proxy events from
xtasks_local.events, a verified IAM identity per caller."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tests.support import wire
from xtasks_local.events import Identity, proxy_event
from xtasks_local.gateway import LambdaContext
from xtasks_local.template import Template

ACCOUNT = "123456789012"
# The plug-in that owns the jobs: an assumed-role session, reduced to its role when it becomes an owner.
PLUGIN = Identity(f"arn:aws:sts::{ACCOUNT}:assumed-role/ExternalTasks/backup-plugin")
PLUGIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ExternalTasks"
# Another plug-in through the same role owns the same jobs (owner is the role, not the session).
PLUGIN_OTHER_SESSION = Identity(f"arn:aws:sts::{ACCOUNT}:assumed-role/ExternalTasks/other-session")
STRANGER = Identity(f"arn:aws:iam::{ACCOUNT}:user/mallory")
ADMIN = Identity(f"arn:aws:iam::{ACCOUNT}:role/Operators")
FORMATS = ("json", "xml")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    xml: bool

    @cached_property
    def data(self) -> Any:
        return wire.parse(self.body, self.xml)

    def header(self, name: str) -> str | None:
        found: str | None = next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)
        return found

    @property
    def fault(self) -> dict[str, str]:
        """The fault of an error reply, unwrapped from the ``<action>`` of action endpoints."""
        fault: dict[str, str] = self.data.get("fault", self.data)
        return fault


@dataclass
class Api:
    template: Template
    format: str = "json"
    caller: Identity | None = PLUGIN
    sent: list[dict[str, Any]] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | str | bytes | None = None,
        root: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
        query: Sequence[tuple[str, str]] = (),
        caller: Identity | str | None = "default",
        format: str | None = None,
    ) -> Response:
        """``path`` with or without the ``/api`` prefix; a dict ``body`` goes out in the format."""
        fmt = format or self.format
        xml = fmt == "xml"
        path = path.removeprefix("/api")
        match = self.template.match(method, path)
        assert match is not None, f"no route for {method} {path} in template.yaml"
        route, parameters = match
        all_headers = [("Host", "xtasks.example.com"), ("Accept", f"application/{fmt}")]
        raw: bytes | None
        if isinstance(body, Mapping):
            raw = wire.xml_body(root or _root(route.path), dict(body)) if xml else json.dumps(body).encode()
            all_headers.append(("Content-Type", f"application/{fmt}"))
        else:
            raw = body.encode() if isinstance(body, str) else body
        all_headers += headers
        event = proxy_event(
            method=method,
            resource=route.path,
            path=path,
            path_parameters=parameters,
            headers=all_headers,
            query=query,
            body=raw,
            identity=self.caller if caller == "default" else caller,  # type: ignore[arg-type]
        )
        self.sent.append(event)
        reply = route.load()(event, LambdaContext(route.function, event["requestContext"]["requestId"]))
        return Response(reply["statusCode"], reply["headers"], reply["body"], xml)

    # The operations of docs/api.md, as a plug-in calls them.

    def add_job(self, description: str = "Back up VM db01", **fields: Any) -> Response:
        caller = fields.pop("caller", "default")
        return self.request("POST", "/jobs", body={"description": description, **fields}, caller=caller)

    def get_job(self, job_id: str, **kwargs: Any) -> Response:
        return self.request("GET", f"/jobs/{job_id}", **kwargs)

    def list_jobs(self, **query: str) -> Response:
        return self.request("GET", "/jobs", query=list(query.items()))

    def end_job(self, job_id: str, **fields: Any) -> Response:
        caller = fields.pop("caller", "default")
        return self.request("POST", f"/jobs/{job_id}/end", body=fields, caller=caller)

    def clear_job(self, job_id: str, **kwargs: Any) -> Response:
        return self.request("POST", f"/jobs/{job_id}/clear", body={}, **kwargs)

    def add_step(
        self,
        job_id: str,
        description: str = "Copy disk",
        type: str = "executing",
        parent: str | None = None,
        **kw: Any,
    ) -> Response:
        body: dict[str, Any] = {"description": description, "type": type}
        if parent is not None:
            body["parent_step"] = {"id": parent}
        caller = kw.pop("caller", "default")
        return self.request("POST", f"/jobs/{job_id}/steps", body={**body, **kw}, caller=caller)

    def get_step(self, job_id: str, step_id: str) -> Response:
        return self.request("GET", f"/jobs/{job_id}/steps/{step_id}")

    def list_steps(self, job_id: str, **query: str) -> Response:
        return self.request("GET", f"/jobs/{job_id}/steps", query=list(query.items()))

    def end_step(self, job_id: str, step_id: str, **fields: Any) -> Response:
        caller = fields.pop("caller", "default")
        return self.request("POST", f"/jobs/{job_id}/steps/{step_id}/end", body=fields, caller=caller)

    def report_progress(
        self, job_id: str, step_id: str | None = None, progress: Any = 40, **kw: Any
    ) -> Response:
        path = f"/jobs/{job_id}" if step_id is None else f"/jobs/{job_id}/steps/{step_id}"
        caller = kw.pop("caller", "default")
        return self.request("PUT", path, body={"progress": progress, **kw}, caller=caller)

    def heartbeat(self, job_id: str, **kwargs: Any) -> Response:
        return self.request("POST", f"/jobs/{job_id}/heartbeat", body={}, **kwargs)

    # Shortcuts for tests that need a job or step as a given.

    def new_job(self, description: str = "Back up VM db01", **fields: Any) -> str:
        reply = self.add_job(description, **fields)
        assert reply.status == 201, reply.body
        job_id: str = reply.data["id"]
        return job_id

    def new_step(self, job_id: str, description: str = "Copy disk", parent: str | None = None) -> str:
        reply = self.add_step(job_id, description, parent=parent)
        assert reply.status == 201, reply.body
        step_id: str = reply.data["id"]
        return step_id


def _root(path: str) -> str:
    """The XML element a route's body comes in."""
    if path.endswith(("/end", "/clear", "/heartbeat")):
        return "action"
    return "step" if path.endswith(("/steps", "{step_id}")) else "job"
