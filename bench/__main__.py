"""``make bench``: what a request costs, measured, against the budgets of docs/storage.md.

- per route: DynamoDB round trips (rounds: parallel calls count once), and the write and read units AWS would
  bill, computed from the items written and the template's indexes (billing.py, meter.py);
- the plug-in job (docs/storage.md): its write units, on a fresh job and on one with 400 ended steps; an add
and an
  end step on a job with 0 and with 400 ended steps; 100 plug-ins at once: the share of write units on the
  hottest partition key (workload.py);
- per route: the handler's time with DynamoDB answered from memory (the calls it made, replayed): our own
  overhead, p50 and p99;
- per function: a cold start in a fresh interpreter from an artifact built as ``sam build`` builds it
  (precompiled bytecode; for this machine's architecture), next to the bare baseline (import boto3, create
  the DynamoDB client, make the function's first call), as a ratio;
- list jobs: one page with 1,000 and with 100,000 jobs stored; end job: with 1 and with 1,000 open steps.

It prints a table and writes bench/results.json. ``JOBS=20000 make bench`` stores fewer jobs, for a quick run.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from bench import startup, workload
from bench.billing import Table
from bench.meter import Meter
from external_tasks import leases, rules, timeouts
from external_tasks.config import page_token_key, settings
from external_tasks.model import Job, Status, Step, StepType
from external_tasks.store import calls, dynamodb, items
from xtasks_local import storage
from xtasks_local.events import Identity
from xtasks_local.gateway import LambdaContext
from xtasks_local.template import ROOT, TABLE, Route, Template

REGION = "us-east-1"
TABLE_NAME = "bench-jobs"
OWNER = Identity("arn:aws:sts::123456789012:assumed-role/ExternalTasks/bench")
RESULTS = ROOT / "bench" / "results.json"
OVERHEAD_RUNS = 2_000
COLD_RUNS = 15
STORED_JOBS = int(os.environ.get("JOBS", "100000"))
PLUGINS = int(os.environ.get("PLUGINS", "100"))
BUDGETS: dict[str, Any] = {
    "round_trips": {
        "add job": 1,
        "add job with a key": 1,
        "get job": 1,
        "get job with steps": 1,
        "list jobs": 2,  # one round of parallel queries, one batch read of the jobs
        "list steps": 1,
        "add step": 2,
        "add sub-step": 2,
        "end step": 2,
        "end job": 2,
        "clear job": 2,
        # Progress and heartbeats: the job's own writes are one conditional write that reads nothing first; a
        # step's progress reads its job and the step first (a step may read as ended through its job), then
        # writes the step alone (docs/storage.md).
        "report job progress": 1,
        "heartbeat": 1,
        "report step progress": 2,
    },
    "write_units": {
        "add job": 6,
        "add job with a key": 6,
        "add step": 6,
        "add sub-step": 8,
        "end step": 6,
        "end job": 6,
        "clear job": 2,
        "report job progress": 2,
        "report step progress": 2,
        "heartbeat": 2,
    },
    "plugin_job_write_units": 200,
    "hottest_partition_share": 0.05,
    "ended_steps_ratio": 1.2,
    "cold_start_ratio": 1.5,  # the write functions: no worse than before the storage redesign (1.28-1.42)
    "handler_p50_ms": 1.0,
    # A page of jobs queries the eight shards of its index at once, on threads: handing eight calls to
    # threads and back costs ~0.3 ms of the handler's own time here, and saves seven round trips.
    "handler_p50_ms_list_jobs": 2.0,
    "list_page_ratio": 1.5,
    "end_job_ratio": 1.5,
}


# Calling the functions.


@dataclass
class Calls:
    """What DynamoDB answered the store during one request, in order, to answer it again from memory."""

    answers: list[tuple[str, Any]] = field(default_factory=list)  # (operation, response or ClientError)


class Recorder:
    """Records what DynamoDB answers the service's client during a request."""

    def __init__(self) -> None:
        self.current: Calls | None = None
        events = calls.client().meta.events
        events.register("after-call.dynamodb.*", self._answered)
        events.register("after-call-error.dynamodb.*", self._failed)

    def _answered(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if self.current is not None:
            self.current.answers.append((model.name, parsed))

    def _failed(self, exception: Exception, **_: Any) -> None:
        if self.current is not None and isinstance(exception, ClientError):
            self.current.answers.append((exception.operation_name, exception))

    @contextmanager
    def request(self) -> Iterator[Calls]:
        self.current = Calls()
        try:
            yield self.current
        finally:
            self.current = None


class Replay:
    """A DynamoDB client that answers from a recording, without I/O: each call the next recorded answer to
    an operation of its kind (a listing's parallel queries may come in any order)."""

    def __init__(self, answers: list[tuple[str, Any]], mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self.answers: dict[str, list[Any]] = {}
        for operation, answer in answers:
            self.answers.setdefault(operation, []).append(answer)
        self.lock = threading.Lock()

    def itself(self) -> Replay:
        return self

    def __getattr__(self, method: str) -> Callable[..., Any]:
        def call(**_: Any) -> Any:
            with self.lock:
                answer = self.answers[self.mapping[method]].pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call


def _event(
    route: Route,
    path: str,
    body: Any = None,
    query: list[tuple[str, str]] | None = None,
    *,
    keyed: bool = False,
) -> dict[str, Any]:
    headers = [("Idempotency-Key", str(uuid.uuid4()))] if keyed else []
    return workload.event(route, path, OWNER, body, query=query, headers=headers)


@dataclass
class Scenario:
    name: str
    route: Route
    event: Callable[[], dict[str, Any]]  # a fresh event for each call, on a job made anew for it


# name, route, path, body, query, open steps on the job made for the request ({job}, {step}: their ids)
SCENARIOS: list[tuple[str, str, str, Any, list[tuple[str, str]], int]] = [
    ("add job", "POST /jobs", "/jobs", {"description": "Back up VM db01"}, [], 0),
    ("add job with a key", "POST /jobs", "/jobs", {"description": "Back up VM db01"}, [("key", "")], 0),
    ("get job", "GET /jobs/{job_id}", "/jobs/{job}", None, [], 1),
    ("get job with steps", "GET /jobs/{job_id}", "/jobs/{job}", None, [("follow", "steps")], 10),
    ("list jobs", "GET /jobs", "/jobs", None, [("max", "100")], 0),
    ("list steps", "GET /jobs/{job_id}/steps", "/jobs/{job}/steps", None, [], 10),
    ("get step", "GET /jobs/{job_id}/steps/{step_id}", "/jobs/{job}/steps/{step}", None, [], 1),
    (
        "add step",
        "POST /jobs/{job_id}/steps",
        "/jobs/{job}/steps",
        {"description": "Copy", "type": "executing"},
        [],
        0,
    ),
    (
        "add sub-step",
        "POST /jobs/{job_id}/steps",
        "/jobs/{job}/steps",
        {"description": "Verify", "type": "validating", "parent_step": {"id": "{step}"}},
        [],
        1,
    ),
    (
        "end step",
        "POST /jobs/{job_id}/steps/{step_id}/end",
        "/jobs/{job}/steps/{step}/end",
        {"succeeded": True},
        [],
        1,
    ),
    ("end job", "POST /jobs/{job_id}/end", "/jobs/{job}/end", {"succeeded": True}, [], 1),
    ("clear job", "POST /jobs/{job_id}/clear", "/jobs/{job}/clear", {}, [], 1),
    ("capabilities", "GET /capabilities", "/capabilities", None, [], 0),
    # Progress, heartbeats and timeouts: on jobs with a timeout (TIMED), as a plug-in that heartbeats has.
    (
        "add job with a timeout",
        "POST /jobs",
        "/jobs",
        {"description": "Back up VM db01", "timeout": 300},
        [("key", "")],
        0,
    ),
    ("report job progress", "PUT /jobs/{job_id}", "/jobs/{job}", {"progress": 40}, [], 1),
    (
        "report step progress",
        "PUT /jobs/{job_id}/steps/{step_id}",
        "/jobs/{job}/steps/{step}",
        {"progress": 40},
        [],
        1,
    ),
    ("heartbeat", "POST /jobs/{job_id}/heartbeat", "/jobs/{job}/heartbeat", {}, [], 1),
]
# The scenarios whose job has a timeout of this many seconds (the others have none).
TIMED = {"report job progress": 300, "report step progress": 300, "heartbeat": 300}


def _scenarios(template: Template) -> list[Scenario]:
    routes = {f"{route.method} {route.path}": route for route in template.routes}
    store = dynamodb.job_store()
    scenarios = []
    for name, key, path, body, query, steps in SCENARIOS:

        def event(
            key: str = key,
            path: str = path,
            body: Any = body,
            query: Any = query,
            steps: int = steps,
            *,
            timeout: int | None = TIMED.get(name),
        ) -> Any:
            job, made = _stored_job(store, steps, timeout)
            ids = {"{job}": job.id, "{step}": made[0].id if made else ""}
            text = json.dumps(body)
            for placeholder, value in ids.items():
                path, text = path.replace(placeholder, value), text.replace(placeholder, value)
            keyed = ("key", "") in query
            return _event(
                routes[key], path, json.loads(text), [q for q in query if q[0] != "key"], keyed=keyed
            )

        scenarios.append(Scenario(name, routes[key], event))
    return scenarios


def _stored_job(
    store: dynamodb.DynamoDBStore, open_steps: int, timeout: int | None = None, started_ago: int = 0
) -> tuple[Job, list[Step]]:
    """A started job with ``open_steps`` top-level steps, written directly (BatchWriteItem); with a
    ``timeout`` (seconds), started ``started_ago`` seconds ago."""
    now = int(time.time() * 1000) - started_ago * 1000
    job = Job(
        id=str(uuid.uuid4()),
        description="Back up VM db01",
        owner=rules.owner_of(OWNER.user_arn),
        status=Status.STARTED,
        start_time=now,
        last_updated=now,
        auto_cleared=False,
        correlation_id="bench",
        step_count=open_steps,
        step_total=open_steps,
    )
    job = leases.with_timeout(job, timeout)
    steps = [
        Step(
            id=str(uuid.uuid4()),
            job_id=job.id,
            description=f"Copy disk {n}",
            type=StepType.EXECUTING,
            path=(n,),
            status=Status.STARTED,
            start_time=now,
        )
        for n in range(open_steps)
    ]
    _write(store, [items.job_item(job)] + [items.step_item(step) for step in steps])
    return job, steps


def _write(store: dynamodb.DynamoDBStore, written: list[Any]) -> None:
    for start in range(0, len(written), 25):
        request: Any = {
            store.table_name: [{"PutRequest": {"Item": item}} for item in written[start : start + 25]]
        }
        while request:
            request = store.client.batch_write_item(RequestItems=request).get("UnprocessedItems")


# Measuring.


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure_routes(template: Template, recorder: Recorder, meter: Meter) -> dict[str, Any]:
    mapping = calls.client().meta.method_to_api_mapping
    results: dict[str, Any] = {}
    for scenario in _scenarios(template):
        handler = scenario.route.load()
        event = scenario.event()
        context = LambdaContext(scenario.route.function, "bench")
        with recorder.request() as recorded, meter.measure() as usage:
            reply = handler(event, context)
        assert reply["statusCode"] < 300, (scenario.name, reply["body"])
        times = []
        real_client = calls.client
        try:
            for run in range(OVERHEAD_RUNS + 50):
                replay = Replay(recorded.answers, mapping)
                calls.client = replay.itself  # type: ignore[assignment]
                started = time.perf_counter()
                handler(event, context)
                elapsed = time.perf_counter() - started
                if run >= 50:
                    times.append(elapsed * 1000)
        finally:
            calls.client = real_client
        results[scenario.name] = {
            "round_trips": usage.rounds,
            "operations": usage.operations,
            "write_units": usage.bill.write_units,
            "read_units": usage.bill.read_units,
            "handler_p50_ms": round(statistics.median(times), 3),
            "handler_p99_ms": round(_percentile(times, 0.99), 3),
        }
    return results


def measure_lease_checks(meter: Meter) -> dict[str, Any]:
    """What one run of TimeOutJobsFunction costs for each kind of job it finds due: one whose lease lapsed
    (with 3 open steps), one whose lease was renewed since, one that ended before its deadline."""
    store = dynamodb.job_store()
    results: dict[str, Any] = {}
    lapsed, _ = _stored_job(store, 3, timeout=60, started_ago=61)
    renewed, _ = _stored_job(store, 0, timeout=60, started_ago=61)
    store.renew_job(renewed.id, int(time.time() * 1000), None)
    ended, _ = _stored_job(store, 0, timeout=60, started_ago=61)
    ended_now = rules.end_job(
        ended, Status.FINISHED, force=False, now=ended.start_time + 1_000, cleanup=settings().cleanup
    )
    assert ended_now is not None
    store.save_ended_job(ended, ended_now)
    for name, job in (("lapsed", lapsed), ("renewed", renewed), ("ended", ended)):
        with meter.measure() as usage:
            timeouts.settle(store, job, int(time.time() * 1000), settings().cleanup)
        results[name] = {"round_trips": usage.rounds, "write_units": usage.bill.write_units}
    stored = store.get_job(lapsed.id)
    assert stored is not None
    assert stored.status is Status.UNKNOWN
    return results


def measure_work(template: Template, meter: Meter) -> dict[str, Any]:
    """The plug-in job, the cost of steps on a job with history, and many plug-ins at once."""
    plugin = workload.Plugin(template, OWNER)
    fresh, later = workload.step_costs(meter, plugin, 0), workload.step_costs(meter, plugin, 400)
    return {
        "plugin_job": {
            "write_units": workload.plugin_job(meter, plugin).bill.write_units,
            "write_units_after_400_ended_steps": workload.plugin_job(meter, plugin, 400).bill.write_units,
        },
        "steps_on_a_job_with_history": {
            "0 ended steps": fresh,
            "400 ended steps": later,
            "ratio": round(max(later[k] / fresh[k] for k in fresh), 2),
        },
        "many_plugins": workload.many_plugins(meter, template, PLUGINS),
        "lease_checks": measure_lease_checks(meter),
    }


COLD_SCRIPT = """
import json, sys, time
event = json.loads(sys.argv[4])
started = time.perf_counter()
sys.path[:0] = [sys.argv[1], sys.argv[2]]
sys.path.append(sys.argv[3])  # boto3 and botocore, as the Lambda runtime provides them
import app
class Context:
    function_name, aws_request_id, memory_limit_in_mb, invoked_function_arn = "f", "r", 512, ""
    def get_remaining_time_in_millis(self): return 25000
reply = app.handler(event, Context())
print(json.dumps({"ms": (time.perf_counter() - started) * 1000, "status": reply["statusCode"]}))
"""

BASELINE_SCRIPT = """
import json, sys, time
call = json.loads(sys.argv[4])
started = time.perf_counter()
sys.path.append(sys.argv[3])
import boto3
client = boto3.client("dynamodb")
if call:
    getattr(client, call["method"])(**call["params"])
print(json.dumps({"ms": (time.perf_counter() - started) * 1000, "status": 200}))
"""


def _make(directory: Path, target: str, *settings: str, makefile: Path | None = None) -> None:
    command = [
        "make",
        "--silent",
        "-C",
        str(directory),
        *(["-f", str(makefile)] if makefile else []),
        target,
        *settings,
    ]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - make, as sam build runs it


def build_artifact(template: Template, into: Path) -> tuple[Path, dict[str, Path]]:
    """The layer and functions built by their own Makefiles, as sam build runs them, for this machine."""
    python = f"PYTHON313={os.environ.get('PYTHON313', sys.executable)}"
    layer = into / "SharedLayer"
    wheels = f"PLATFORM=manylinux2014_{platform.machine()}"
    _make(ROOT / "layers" / "shared", "build-SharedLayer", f"ARTIFACTS_DIR={layer}", wheels, python)
    functions = {}
    for name, function in template.of_type("AWS::Serverless::Function").items():
        folder = into / name
        folder.mkdir(parents=True)
        code = ROOT / function["Properties"]["CodeUri"]
        _make(
            code, f"build-{name}", f"ARTIFACTS_DIR={folder}", python, makefile=ROOT / "functions" / "Makefile"
        )
        functions[name] = folder
    return layer / "python", functions


def _site_packages() -> str:
    import botocore

    return str(Path(botocore.__file__).parents[1])


def _run(script: str, folder: Path, layer: Path, argument: Any, environment: dict[str, str]) -> float:
    arguments = [
        sys.executable,
        "-I",
        "-S",
        "-c",
        script,
        str(folder),
        str(layer),
        _site_packages(),
        json.dumps(argument),
    ]
    done = subprocess.run(arguments, env=environment, capture_output=True, text=True, check=True)  # noqa: S603
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] < 300, done.stdout
    return float(result["ms"])


def measure_cold_starts(
    template: Template, routes: dict[str, Any], environment: dict[str, str]
) -> dict[str, Any]:
    """Each function's first request in a fresh interpreter, next to the baseline making its first call."""
    store = dynamodb.job_store()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        layer, functions = build_artifact(template, Path(scratch))
        for scenario in _scenarios(template):
            name = scenario.route.function
            if name in results:
                continue  # one request per function: its first scenario's
            first = _first_call(routes[scenario.name]["operations"], store)
            ours, bare = [], []
            for _ in range(COLD_RUNS + 1):
                ours.append(_run(COLD_SCRIPT, functions[name], layer, scenario.event(), environment))
                bare.append(_run(BASELINE_SCRIPT, functions[name], layer, first, environment))
            ours, bare = ours[1:], bare[1:]  # the first run of each writes the venv's own bytecode caches
            results[name] = {
                "request": scenario.name,
                "ms": round(statistics.median(ours), 1),
                "baseline_ms": round(statistics.median(bare), 1),
                # each run next to the baseline run right after it: the machine's drift cancels out
                "ratio": round(statistics.median(o / b for o, b in zip(ours, bare, strict=True)), 2),
            }
    return results


def _first_call(operations: list[str], store: dynamodb.DynamoDBStore) -> dict[str, Any] | None:
    """The function's first DynamoDB call, for the baseline to make too (None: it makes none)."""
    table = store.table_name
    job = {"PK": {"S": "JOB#bench-baseline"}, "SK": {"S": "JOB"}}
    calls: dict[str, dict[str, Any]] = {
        "GetItem": {"method": "get_item", "params": {"TableName": table, "Key": job, "ConsistentRead": True}},
        "TransactGetItems": {
            "method": "transact_get_items",
            "params": {
                "TransactItems": [
                    {"Get": {"TableName": table, "Key": job}},
                    {"Get": {"TableName": table, "Key": {**job, "SK": {"S": "STEP#x"}}}},
                ]
            },
        },
        "PutItem": {
            "method": "put_item",
            "params": {"TableName": table, "Item": {**job, "PK": {"S": f"BENCH#{uuid.uuid4()}"}}},
        },
        "UpdateItem": {
            "method": "update_item",
            "params": {
                "TableName": table,
                "Key": {**job, "PK": {"S": f"BENCH#{uuid.uuid4()}"}},
                "UpdateExpression": "SET progress = :p",
                "ExpressionAttributeValues": {":p": {"N": "40"}},
            },
        },
        "Query": {
            "method": "query",
            "params": {
                "TableName": table,
                "IndexName": "jobs_by_time",
                "Limit": 30,
                "KeyConditionExpression": "list_all = :l",
                "ExpressionAttributeValues": {":l": {"S": "jobs#0"}},
            },
        },
    }
    return calls[operations[0]] if operations else None


def _timed(call: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure_list_scaling(template: Template) -> dict[str, Any]:
    """One page (max=100) of the newest jobs, with 1,000 and then STORED_JOBS jobs in the table."""
    store = dynamodb.job_store()
    route = next(r for r in template.routes if r.method == "GET" and r.path == "/jobs")
    handler = route.load()

    def page() -> None:
        reply = handler(_event(route, "/jobs", query=[("max", "100")]), None)
        assert reply["statusCode"] == 200

    def fill(start: int, stop: int) -> None:
        now = int(time.time() * 1000)

        def write(first: int) -> None:
            jobs = [
                Job(
                    id=str(uuid.uuid4()),
                    description=f"Job {n}",
                    owner="arn:aws:iam::1:role/x",
                    status=Status.FINISHED if n % 3 else Status.STARTED,
                    start_time=now - n,
                    last_updated=now,
                    auto_cleared=False,
                    correlation_id=f"c{n}",
                )
                for n in range(first, min(first + 500, stop))
            ]
            _write(store, [items.job_item(job) for job in jobs])

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(write, range(start, stop, 500)))

    fill(0, 1_000)
    small = _timed(page, 30)
    fill(1_000, STORED_JOBS)
    large = _timed(page, 30)
    return {
        "jobs": [1_000, STORED_JOBS],
        "page_ms": [round(small, 2), round(large, 2)],
        "ratio": round(large / small, 2),
    }


def measure_end_job_scaling(template: Template, recorder: Recorder, meter: Meter) -> dict[str, Any]:
    store = dynamodb.job_store()
    route = next(r for r in template.routes if r.path == "/jobs/{job_id}/end")
    handler = route.load()
    results: dict[str, Any] = {}
    for open_steps in (1, 1_000):
        times, trips, units = [], [], []
        for _ in range(7):
            job, _ = _stored_job(store, open_steps)
            with meter.measure() as usage:
                started = time.perf_counter()
                reply = handler(_event(route, f"/jobs/{job.id}/end", {"succeeded": True}), None)
                times.append((time.perf_counter() - started) * 1000)
            assert reply["statusCode"] == 200
            trips.append(usage.rounds)
            units.append(usage.bill.write_units)
            ended, steps = store.get_job_with_steps(job.id, most=2_000)
            assert ended is not None
            assert all(rules.effective_step(ended, step).status is Status.FINISHED for step in steps)
        results[str(open_steps)] = {
            "round_trips": max(trips),
            "write_units": max(units),
            "ms": round(statistics.median(times), 2),
        }
    results["ratio"] = round(results["1000"]["ms"] / results["1"]["ms"], 2)
    return results


# Reporting.


def _check(name: str, most: float, measured: float) -> dict[str, Any]:
    return {"budget": name, "at most": most, "measured": measured, "met": measured <= most}


def _budgets(report: dict[str, Any]) -> list[dict[str, Any]]:
    routes, work = report["routes"], report["work"]
    checks = [
        _check(f"round trips, {r}", most, routes[r]["round_trips"])
        for r, most in BUDGETS["round_trips"].items()
    ]
    checks += [
        _check(f"write units, {r}", most, routes[r]["write_units"])
        for r, most in BUDGETS["write_units"].items()
    ]
    most = BUDGETS["plugin_job_write_units"]
    checks.append(_check("write units, the plug-in job", most, work["plugin_job"]["write_units"]))
    checks.append(
        _check(
            "write units, the plug-in job on a job with 400 ended steps",
            most,
            work["plugin_job"]["write_units_after_400_ended_steps"],
        )
    )
    checks.append(
        _check(
            "add/end step units, 400 vs 0 ended steps",
            BUDGETS["ended_steps_ratio"],
            work["steps_on_a_job_with_history"]["ratio"],
        )
    )
    plugins = work["many_plugins"]
    checks.append(
        _check(
            f"hottest partition key's share of write units, {plugins['plugins']} plug-ins",
            BUDGETS["hottest_partition_share"],
            plugins["hottest_share"],
        )
    )
    writes = {
        "AddJobFunction",
        "AddStepFunction",
        "EndStepFunction",
        "EndJobFunction",
        "ClearJobFunction",
        "ReportJobProgressFunction",
        "ReportStepProgressFunction",
        "HeartbeatFunction",
    }
    for name, figures in sorted(report["cold_start"].items()):
        if name in writes:
            checks.append(_check(f"cold start ratio, {name}", BUDGETS["cold_start_ratio"], figures["ratio"]))
    for route, figures in routes.items():
        most = BUDGETS["handler_p50_ms_list_jobs" if route == "list jobs" else "handler_p50_ms"]
        checks.append(_check(f"handler p50 ms, {route}", most, figures["handler_p50_ms"]))
    checks.append(
        _check("list page, 100k vs 1k jobs", BUDGETS["list_page_ratio"], report["list_jobs"]["ratio"])
    )
    end = report["end_job"]
    checks.append(_check("end job, 1,000 vs 1 open steps (time)", BUDGETS["end_job_ratio"], end["ratio"]))
    checks.append(
        _check(
            "end job, 1,000 vs 1 open steps (write units)",
            end["1"]["write_units"],
            end["1000"]["write_units"],
        )
    )
    return checks


def _counted(operations: list[str]) -> list[tuple[str, int]]:
    counted: list[tuple[str, int]] = []
    for operation in operations:
        if counted and counted[-1][0] == operation:
            counted[-1] = (operation, counted[-1][1] + 1)
        else:
            counted.append((operation, 1))
    return counted


def _print(report: dict[str, Any]) -> None:
    write = sys.stdout.write
    write(f"\nExternal Tasks benchmark, {report['when']}, {report['machine']}\n\n")
    write(
        f"{'route':<20}{'rounds':>7}{'WU':>6}{'RU':>6}{'p50 ms':>8}{'p99 ms':>8}   DynamoDB calls "
        "(units: AWS's billing rules, computed)\n"
    )
    for route, figures in report["routes"].items():
        operations = ", ".join(f"{n}x{o}" if n > 1 else o for o, n in _counted(figures["operations"]))
        write(
            f"{route:<20}{figures['round_trips']:>7}{figures['write_units']:>6g}{figures['read_units']:>6g}"
            f"{figures['handler_p50_ms']:>8}{figures['handler_p99_ms']:>8}   {operations}\n"
        )
    work = report["work"]
    history = work["steps_on_a_job_with_history"]
    plugins = work["many_plugins"]
    write(
        f"\nthe plug-in job (1 job, 2 steps x 4 sub-steps, all ended, {workload.POLLS} polls): "
        f"{work['plugin_job']['write_units']:g} WU; on a job with 400 ended steps: "
        f"{work['plugin_job']['write_units_after_400_ended_steps']:g} WU\n"
        f"add/end step, 0 ended steps: {history['0 ended steps']}; 400: {history['400 ended steps']}: "
        f"ratio {history['ratio']}\n"
        f"{plugins['plugins']} plug-ins at once: {plugins['write_units']:g} WU over "
        f"{plugins['partition_keys']} "
        f"partition keys; hottest {plugins['hottest_key']}: {plugins['hottest_units']:g} WU, "
        f"{plugins['hottest_share']:.2%}\n"
    )
    checks = work["lease_checks"]
    write(
        "TimeOutJobsFunction, per job due: "
        + "; ".join(f"{kind} {c['write_units']:g} WU" for kind, c in checks.items())
        + "\n"
    )
    write(f"\n{'cold start':<24}{'ms':>8}{'baseline ms':>13}{'ratio':>8}\n")
    for name, figures in sorted(report["cold_start"].items()):
        write(f"{name:<24}{figures['ms']:>8}{figures['baseline_ms']:>13}{figures['ratio']:>8}\n")
    listing, end = report["list_jobs"], report["end_job"]
    write(
        f"\nlist jobs, one page: {listing['page_ms'][0]} ms at {listing['jobs'][0]:,} jobs, "
        f"{listing['page_ms'][1]} ms at {listing['jobs'][1]:,} jobs: ratio {listing['ratio']}\n"
    )
    write(
        f"end job: {end['1']['round_trips']} round trips, {end['1']['write_units']:g} WU, "
        f"{end['1']['ms']} ms "
        f"with 1 open step; {end['1000']['round_trips']} round trips, {end['1000']['write_units']:g} WU, "
        f"{end['1000']['ms']} ms with 1,000: "
        f"ratio {end['ratio']}\n\n"
    )
    cli = report["cli_startup"]
    write(
        f"xtasks start-up: --help {cli['help_ratio']}, a command {cli['command_ratio']} times a bare "
        "import botocore.session\n\n"
    )
    for check in report["budgets"]:
        mark = "met   " if check["met"] else "MISSED"
        write(f"  {mark} {check['budget']}: {check['measured']} (at most {check['at most']})\n")
    write(f"\nwrote {RESULTS.relative_to(ROOT)}\n")


def main() -> int:
    # The functions log and publish metrics on stdout, as in Lambda; here that would bury the table.
    table, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 - for the whole run
    template = Template()
    store_process = storage.DynamoDBLocal(REGION)
    try:
        environment = template.environment({TABLE: TABLE_NAME, "PageTokenSecret": "bench"})
        del environment["PAGE_TOKEN_SECRET_ARN"]
        environment |= {
            "PAGE_TOKEN_KEY": "bench",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_ENDPOINT_URL_DYNAMODB": store_process.endpoint,
            "POWERTOOLS_METRICS_DISABLED": "false",
        }
        os.environ.update(environment)
        os.environ.pop("AWS_PROFILE", None)
        settings.cache_clear()
        page_token_key.cache_clear()
        calls.forget_client()
        storage.create_table(storage.client(store_process.endpoint, REGION), template, TABLE_NAME)
        report: dict[str, Any] = {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            "DynamoDB Local 3.3 on Java",
        }
        recorder = Recorder()
        raw = storage.client(store_process.endpoint, REGION)
        meter = Meter(calls.client(), raw, Table(template), TABLE_NAME)
        report["routes"] = measure_routes(template, recorder, meter)
        report["work"] = measure_work(template, meter)
        report["cold_start"] = measure_cold_starts(template, report["routes"], {**os.environ})
        report["end_job"] = measure_end_job_scaling(template, recorder, meter)
        report["cli_startup"] = startup.measure_cli_startup()
        report["list_jobs"] = measure_list_scaling(template)
        report["budgets"] = _budgets(report)
    finally:
        store_process.stop()
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    sys.stdout = table
    _print(report)
    return 0 if all(check["met"] for check in report["budgets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
