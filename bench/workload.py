"""Plug-ins at work, through the functions' handlers as API Gateway invokes them: the plug-in job
(docs/storage.md)
(1 job, 2 steps with 4 sub-steps each, all ended, 20 polls), alone, on a job with 400 ended steps, and run by
many plug-ins at once; and one add/end step on a fresh job and on one with 400 ended steps."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.meter import Meter, Usage
from xtasks_local.events import Identity, proxy_event
from xtasks_local.gateway import LambdaContext
from xtasks_local.template import Route, Template

POLLS = 20


def event(
    route: Route,
    path: str,
    identity: Identity,
    body: Any = None,
    *,
    query: list[tuple[str, str]] | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The API Gateway proxy event of a JSON request to ``route`` at ``path``."""
    found = route.pattern.match(path)
    assert found is not None, path
    raw = json.dumps(body).encode() if body is not None else None
    sent = [("Host", "bench.example.com"), ("Accept", "application/json"), *(headers or [])]
    if raw is not None:
        sent.append(("Content-Type", "application/json"))
    return proxy_event(
        method=route.method,
        resource=route.path,
        path=path,
        path_parameters=found.groupdict(),
        headers=sent,
        query=query or [],
        body=raw,
        identity=identity,
    )


class Plugin:
    """One plug-in calling the API's handlers in-process with its own identity."""

    def __init__(self, template: Template, identity: Identity) -> None:
        self.identity = identity
        self.routes = {f"{route.method} {route.path}": route for route in template.routes}

    def call(
        self,
        key: str,
        path: str,
        body: Any = None,
        query: list[tuple[str, str]] | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> Any:
        route = self.routes[key]
        request = event(route, path, self.identity, body, query=query, headers=headers)
        reply = route.load()(request, LambdaContext(route.function, str(uuid.uuid4())))
        assert reply["statusCode"] < 300, (key, path, reply["body"])
        return json.loads(reply["body"]) if reply["body"] else None

    def add_job(self, description: str = "Back up VM db01") -> str:
        # as xtasks sends it: with an Idempotency-Key
        job = self.call(
            "POST /jobs",
            "/jobs",
            {"description": description},
            headers=[("Idempotency-Key", str(uuid.uuid4()))],
        )
        return str(job["id"])

    def add_step(self, job_id: str, parent: str | None = None) -> str:
        body: dict[str, Any] = {"description": "Copy disk", "type": "executing"}
        if parent is not None:
            body["parent_step"] = {"id": parent}
        step = self.call(
            "POST /jobs/{job_id}/steps",
            f"/jobs/{job_id}/steps",
            body,
            headers=[("Idempotency-Key", str(uuid.uuid4()))],
        )
        return str(step["id"])

    def end_step(self, job_id: str, step_id: str) -> None:
        self.call(
            "POST /jobs/{job_id}/steps/{step_id}/end",
            f"/jobs/{job_id}/steps/{step_id}/end",
            {"succeeded": True},
        )

    def end_job(self, job_id: str) -> None:
        self.call("POST /jobs/{job_id}/end", f"/jobs/{job_id}/end", {"succeeded": True})

    def poll(self, job_id: str) -> None:
        self.call("GET /jobs/{job_id}", f"/jobs/{job_id}", query=[("follow", "steps")])

    def job_work(self, job_id: str, steps: int = 2, sub_steps: int = 4) -> None:
        """Everything the plug-in job does after adding its job."""
        polls = 0
        for _ in range(steps):
            parent = self.add_step(job_id)
            children = [self.add_step(job_id, parent) for _ in range(sub_steps)]
            for child in children:
                self.end_step(job_id, child)
                if polls < POLLS // 2:
                    self.poll(job_id)
                    polls += 1
            self.end_step(job_id, parent)
        for _ in range(POLLS - polls):
            self.poll(job_id)
        self.end_job(job_id)

    def with_ended_steps(self, count: int) -> str:
        """A started job with ``count`` ended steps: half of them top-level steps that each had a sub-step."""
        job_id = self.add_job("Long-running job")
        for _ in range(count // 2):
            parent = self.add_step(job_id)
            self.end_step(job_id, self.add_step(job_id, parent))
            self.end_step(job_id, parent)
        return job_id


def plugin_job(meter: Meter, plugin: Plugin, earlier_ended_steps: int = 0) -> Usage:
    """The plug-in job of docs/storage.md; with earlier ended steps, on a job that already has them."""
    job_id = plugin.with_ended_steps(earlier_ended_steps) if earlier_ended_steps else None
    with meter.measure() as usage:
        if job_id is None:
            job_id = plugin.add_job()
        plugin.job_work(job_id)
    return usage


def step_costs(meter: Meter, plugin: Plugin, ended_steps: int) -> dict[str, float]:
    """Write units of adding and of ending one step on a job with ``ended_steps`` ended steps."""
    job_id = plugin.with_ended_steps(ended_steps) if ended_steps else plugin.add_job()
    with meter.measure() as added:
        step_id = plugin.add_step(job_id)
    with meter.measure() as ended:
        plugin.end_step(job_id, step_id)
    return {"add step": added.bill.write_units, "end step": ended.bill.write_units}


def many_plugins(meter: Meter, template: Template, count: int) -> dict[str, Any]:
    """``count`` plug-ins, each with its own job, all at once, under the one ExternalTasks role (most
    deployments' case); the share of write units on the hottest partition key."""

    def one(number: int) -> None:
        identity = Identity(f"arn:aws:sts::123456789012:assumed-role/ExternalTasks/plugin-{number}")
        plugin = Plugin(template, identity)
        plugin.job_work(plugin.add_job(f"Plug-in {number}"))

    with meter.measure() as usage, ThreadPoolExecutor(max_workers=min(count, 32)) as pool:
        list(pool.map(one, range(count)))
    total = usage.bill.write_units
    hottest, units = max(usage.bill.write.items(), key=lambda item: item[1])
    return {
        "plugins": count,
        "write_units": total,
        "partition_keys": len(usage.bill.write),
        "hottest_key": hottest,
        "hottest_units": units,
        "hottest_share": round(units / total, 4),
    }
