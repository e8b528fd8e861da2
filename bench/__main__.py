"""``make bench``: what a request costs, measured, against the budgets of the benchmark issue.

- per route: DynamoDB round trips and consumed capacity (DynamoDB Local, ReturnConsumedCapacity);
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

from external_tasks import rules
from external_tasks.config import settings
from external_tasks.model import Job, Status, Step, StepType
from external_tasks.store import dynamodb, items
from xtasks_local import storage
from xtasks_local.events import Identity, proxy_event
from xtasks_local.gateway import LambdaContext
from xtasks_local.template import ROOT, TABLE, Route, Template

REGION = "us-east-1"
TABLE_NAME = "bench-jobs"
OWNER = Identity("arn:aws:sts::123456789012:assumed-role/ExternalTasks/bench")
RESULTS = ROOT / "bench" / "results.json"
OVERHEAD_RUNS = 2_000
COLD_RUNS = 15
STORED_JOBS = int(os.environ.get("JOBS", "100000"))
BUDGETS: dict[str, Any] = {
    "round_trips": {
        "add job": 1,
        "get job": 1,
        "get job with steps": 1,
        "list jobs": 1,
        "list steps": 1,
        "add step": 2,
        "add sub-step": 2,
        "end step": 2,
        "end job": 2,
    },
    "cold_start_ratio": 1.2,
    "handler_p50_ms": 1.0,
    "list_page_ratio": 1.5,
    "end_job_ratio": 1.5,
}


# Calling the functions.


@dataclass
class Calls:
    """What the store asked of DynamoDB during one request, and what DynamoDB answered."""

    operations: list[str] = field(default_factory=list)
    capacity: float = 0.0
    answers: list[tuple[str, Any]] = field(default_factory=list)  # (operation, response or ClientError)


class Recorder:
    """Counts, measures and records the DynamoDB calls the service's client makes during a request."""

    def __init__(self) -> None:
        self.current: Calls | None = None
        events = dynamodb._client().meta.events
        events.register("provide-client-params.dynamodb.*", self._ask_for_capacity)
        events.register("after-call.dynamodb.*", self._answered)
        events.register("after-call-error.dynamodb.*", self._failed)

    def _ask_for_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.current is not None and "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "TOTAL"

    def _answered(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if self.current is None:
            return
        self.current.operations.append(model.name)
        consumed = parsed.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            self.current.capacity += float(entry.get("CapacityUnits", 0))
        self.current.answers.append((model.name, parsed))

    def _failed(self, exception: Exception, **_: Any) -> None:
        if self.current is not None and isinstance(exception, ClientError):
            self.current.operations.append(exception.operation_name)
            self.current.answers.append((exception.operation_name, exception))

    @contextmanager
    def request(self) -> Iterator[Calls]:
        self.current = Calls()
        try:
            yield self.current
        finally:
            self.current = None


class Replay:
    """A DynamoDB client that answers from a recording, in order, without I/O."""

    def __init__(self, answers: list[tuple[str, Any]], mapping: dict[str, str]) -> None:
        self.answers, self.mapping, self.position = answers, mapping, 0

    def __getattr__(self, method: str) -> Callable[..., Any]:
        def call(**_: Any) -> Any:
            operation, answer = self.answers[self.position]
            self.position += 1
            assert operation == self.mapping[method], f"replay expected {operation}, got {method}"
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call


def _event(
    route: Route, path: str, body: Any = None, query: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    parameters = route.pattern.match(path)
    assert parameters is not None
    raw = json.dumps(body).encode() if body is not None else None
    headers = [("Host", "bench.example.com"), ("Accept", "application/json")]
    if raw is not None:
        headers.append(("Content-Type", "application/json"))
    return proxy_event(
        method=route.method,
        resource=route.path,
        path=path,
        path_parameters=parameters.groupdict(),
        headers=headers,
        query=query or [],
        body=raw,
        identity=OWNER,
    )


@dataclass
class Scenario:
    name: str
    route: Route
    event: Callable[[], dict[str, Any]]  # a fresh event for each call, on a job made anew for it


# name, route, path, body, query, open steps on the job made for the request ({job}, {step}: their ids)
SCENARIOS: list[tuple[str, str, str, Any, list[tuple[str, str]], int]] = [
    ("add job", "POST /jobs", "/jobs", {"description": "Back up VM db01"}, [], 0),
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
]


def _scenarios(template: Template) -> list[Scenario]:
    routes = {f"{route.method} {route.path}": route for route in template.routes}
    store = dynamodb.job_store()
    scenarios = []
    for name, key, path, body, query, steps in SCENARIOS:

        def event(
            key: str = key, path: str = path, body: Any = body, query: Any = query, steps: int = steps
        ) -> Any:
            job, made = _stored_job(store, steps)
            ids = {"{job}": job.id, "{step}": made[0].id if made else ""}
            text = json.dumps(body)
            for placeholder, value in ids.items():
                path, text = path.replace(placeholder, value), text.replace(placeholder, value)
            return _event(routes[key], path, json.loads(text), query)

        scenarios.append(Scenario(name, routes[key], event))
    return scenarios


def _stored_job(store: dynamodb.JobStore, open_steps: int) -> tuple[Job, list[Step]]:
    """A started job with ``open_steps`` top-level steps, written directly (BatchWriteItem)."""
    now = int(time.time() * 1000)
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


def _write(store: dynamodb.JobStore, written: list[Any]) -> None:
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


def measure_routes(template: Template, recorder: Recorder) -> dict[str, Any]:
    mapping = dynamodb._client().meta.method_to_api_mapping
    results: dict[str, Any] = {}
    for scenario in _scenarios(template):
        handler = scenario.route.load()
        event = scenario.event()
        context = LambdaContext(scenario.route.function, "bench")
        with recorder.request() as calls:
            reply = handler(event, context)
        assert reply["statusCode"] < 300, (scenario.name, reply["body"])
        times = []
        real_client = dynamodb._client
        try:
            for run in range(OVERHEAD_RUNS + 50):
                replay = Replay(calls.answers, mapping)
                setattr(dynamodb, "_client", lambda replay=replay: replay)  # noqa: B010 - the store's one client
                started = time.perf_counter()
                handler(event, context)
                elapsed = time.perf_counter() - started
                if run >= 50:
                    times.append(elapsed * 1000)
        finally:
            setattr(dynamodb, "_client", real_client)  # noqa: B010
        results[scenario.name] = {
            "round_trips": len(calls.operations),
            "operations": list(calls.operations),
            "capacity_units": round(calls.capacity, 2),
            "handler_p50_ms": round(statistics.median(times), 3),
            "handler_p99_ms": round(_percentile(times, 0.99), 3),
        }
    return results


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


def _first_call(operations: list[str], store: dynamodb.JobStore) -> dict[str, Any] | None:
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
        "Query": {
            "method": "query",
            "params": {
                "TableName": table,
                "IndexName": "jobs_by_time",
                "Limit": 100,
                "KeyConditionExpression": "job_list = :l",
                "ExpressionAttributeValues": {":l": {"S": "jobs"}},
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


def measure_end_job_scaling(template: Template, recorder: Recorder) -> dict[str, Any]:
    store = dynamodb.job_store()
    route = next(r for r in template.routes if r.path == "/jobs/{job_id}/end")
    handler = route.load()
    results: dict[str, Any] = {}
    for open_steps in (1, 1_000):
        times, trips = [], []
        for _ in range(7):
            job, _ = _stored_job(store, open_steps)
            with recorder.request() as calls:
                started = time.perf_counter()
                reply = handler(_event(route, f"/jobs/{job.id}/end", {"succeeded": True}), None)
                times.append((time.perf_counter() - started) * 1000)
            assert reply["statusCode"] == 200
            trips.append(len(calls.operations))
            ended, steps = store.get_job_with_steps(job.id, most=2_000)
            assert ended is not None
            assert all(rules.effective_step(ended, step).status is Status.FINISHED for step in steps)
        results[str(open_steps)] = {"round_trips": max(trips), "ms": round(statistics.median(times), 2)}
    results["ratio"] = round(results["1000"]["ms"] / results["1"]["ms"], 2)
    return results


# Reporting.


def _budgets(report: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for route, most in BUDGETS["round_trips"].items():
        measured = report["routes"][route]["round_trips"]
        checks.append(
            {
                "budget": f"round trips, {route}",
                "at most": most,
                "measured": measured,
                "met": measured <= most,
            }
        )
    for name, figures in sorted(report["cold_start"].items()):
        checks.append(
            {
                "budget": f"cold start ratio, {name}",
                "at most": BUDGETS["cold_start_ratio"],
                "measured": figures["ratio"],
                "met": figures["ratio"] <= BUDGETS["cold_start_ratio"],
            }
        )
    for route, figures in report["routes"].items():
        checks.append(
            {
                "budget": f"handler p50 ms, {route}",
                "at most": BUDGETS["handler_p50_ms"],
                "measured": figures["handler_p50_ms"],
                "met": figures["handler_p50_ms"] <= BUDGETS["handler_p50_ms"],
            }
        )
    checks.append(
        {
            "budget": "list page, 100k vs 1k jobs",
            "at most": BUDGETS["list_page_ratio"],
            "measured": report["list_jobs"]["ratio"],
            "met": report["list_jobs"]["ratio"] <= BUDGETS["list_page_ratio"],
        }
    )
    end = report["end_job"]
    checks.append(
        {
            "budget": "end job, 1,000 vs 1 open steps (time)",
            "at most": BUDGETS["end_job_ratio"],
            "measured": end["ratio"],
            "met": end["ratio"] <= BUDGETS["end_job_ratio"],
        }
    )
    checks.append(
        {
            "budget": "end job, 1,000 vs 1 open steps (round trips)",
            "at most": end["1"]["round_trips"],
            "measured": end["1000"]["round_trips"],
            "met": end["1000"]["round_trips"] <= end["1"]["round_trips"],
        }
    )
    return checks


def _print(report: dict[str, Any]) -> None:
    write = sys.stdout.write
    write(f"\nExternal Tasks benchmark, {report['when']}, {report['machine']}\n\n")
    write(f"{'route':<22}{'round trips':>12}{'capacity':>10}{'p50 ms':>9}{'p99 ms':>9}   DynamoDB calls\n")
    for route, figures in report["routes"].items():
        write(
            f"{route:<22}{figures['round_trips']:>12}{figures['capacity_units']:>10}{figures['handler_p50_ms']:>9}"
            f"{figures['handler_p99_ms']:>9}   {', '.join(figures['operations'])}\n"
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
        f"end job: {end['1']['round_trips']} round trips, {end['1']['ms']} ms with 1 open step; "
        f"{end['1000']['round_trips']} round trips, {end['1000']['ms']} ms with 1,000: "
        f"ratio {end['ratio']}\n\n"
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
        environment = template.environment({TABLE: TABLE_NAME, "AWS::StackId": "bench"})
        environment |= {
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
        dynamodb._client.cache_clear()
        storage.create_table(storage.client(store_process.endpoint, REGION), template, TABLE_NAME)
        report: dict[str, Any] = {
            "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            "DynamoDB Local 3.3 on Java",
        }
        recorder = Recorder()
        report["routes"] = measure_routes(template, recorder)
        report["cold_start"] = measure_cold_starts(template, report["routes"], {**os.environ})
        report["end_job"] = measure_end_job_scaling(template, recorder)
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
