"""xtasks: External Tasks from a shell. Results on stdout (only ids with -q), one-line errors on stderr.

Exit codes: 0 done; 1 an API error not listed here; 2 bad usage; 3 not found; 4 conflict; 5 forbidden;
6 unavailable (after retries) or unreachable; 7 invalid request or option value; 8 not configured (no
endpoint or a malformed one, no credentials, no region). xtasks run exits with its command's status.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from xtasks import change_events, errors, validation
from xtasks.client import Client, execution_body, jobs_query
from xtasks.enums import StepType
from xtasks.exits import fail, reported
from xtasks.output import Output, Printer
from xtasks.scopes import heartbeats

if TYPE_CHECKING:
    from rich.console import RenderableType

STATUSES = "started, finished, failed, aborted, unknown"
STEP_TYPES = "validating, executing, finalizing, rebalancing_volume, removing_bricks, unknown"


@dataclass
class Settings:
    endpoint: str | None
    profile: str | None
    region: str | None
    printer: Printer

    def client(self) -> Client:
        return Client(self.endpoint, profile=self.profile, region=self.region)


# -o and -q work before the command and after it (JOB=$(xtasks job add "…" -q)).
OutputOption = Annotated[Output | None, typer.Option("--output", "-o", help="How results are printed.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only ids.")]
TimeoutOption = Annotated[
    str | None,
    typer.Option(
        metavar="SECONDS",
        help="End the job unknown unless something renews it within SECONDS (60-604800).",
    ),
]

app = typer.Typer(help=__doc__, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False)
job_app = typer.Typer(
    help="Add, list, show, end and clear jobs; report their progress, send heartbeats.", no_args_is_help=True
)
step_app = typer.Typer(help="Add, list, show and end steps; report their progress.", no_args_is_help=True)
app.add_typer(job_app, name="job")
app.add_typer(step_app, name="step")


@app.callback()
def main(
    context: typer.Context,
    endpoint: Annotated[
        str | None, typer.Option(envvar="XTASKS_ENDPOINT", help="The API's URL, ending in /api.")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(envvar="AWS_PROFILE", help="AWS profile to sign with.")
    ] = None,
    region: Annotated[str | None, typer.Option(envvar="AWS_REGION", help="Region to sign for.")] = None,
    output: Annotated[Output, typer.Option("--output", "-o", help="How results are printed.")] = Output.TABLE,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only ids.")] = False,
) -> None:
    context.obj = Settings(endpoint, profile, region, Printer(output, quiet))


def _settings(context: typer.Context, output: Output | None = None, quiet: bool = False) -> Settings:
    settings: Settings = context.obj
    if output is not None:
        settings.printer.output = output
    settings.printer.quiet = settings.printer.quiet or quiet
    return settings


def _raw(settings: Settings, method: str, path: str, **arguments: Any) -> Any:
    """The reply as the API wrote it: printed as is for -o xml (and None returned), parsed for the others."""
    printer = settings.printer
    reply = settings.client().request(method, path, xml=printer.wants_xml, **arguments)
    if printer.wants_xml:
        printer.text(reply.text)
        return None
    return reply.json()


# Jobs.


@job_app.command("add")
def job_add(
    context: typer.Context,
    description: str,
    no_auto_clear: Annotated[
        bool, typer.Option("--no-auto-clear", help="Keep the job until cleared.")
    ] = False,
    correlation_id: Annotated[str | None, typer.Option(help="Correlation id to search it by.")] = None,
    timeout: TimeoutOption = None,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """Add a job; prints it (its id with -q)."""
    settings = _settings(context, output, quiet)
    with reported():
        headers = {"Idempotency-Key": str(uuid.uuid4())}  # so that a retry cannot add a second job
        if correlation_id:
            headers["Correlation-Id"] = correlation_id
        body: dict[str, Any] = {"description": description, "auto_cleared": not no_auto_clear}
        if timeout is not None:
            body["timeout"] = validation.timeout(timeout, "--timeout")
        data = _raw(settings, "POST", "/jobs", body=body, headers=headers)
        if data is not None:
            settings.printer.job(data)


@job_app.command("list")
def job_list(
    context: typer.Context,
    search: Annotated[str | None, typer.Option(help="e.g. 'correlation_id=x and status=started'.")] = None,
    status: Annotated[
        str | None, typer.Option(metavar="STATUS", help=f"Only jobs with it: {STATUSES}.")
    ] = None,
    max: Annotated[str | None, typer.Option("--max", metavar="N", help="At most N jobs (1-1000).")] = None,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """List jobs, newest first."""
    settings = _settings(context, output, quiet)
    with reported():
        count = None if max is None else validation.count(max, "--max")
        only = None if status is None else validation.status(status, "--status")
        query = jobs_query(search, only, count)
        if settings.printer.wants_xml:
            _raw(settings, "GET", "/jobs", query=query)
            return
        items = list(islice(settings.client().listing("/jobs", query, "job"), count or sys.maxsize))
        settings.printer.jobs(items)


@job_app.command("show")
def job_show(
    context: typer.Context,
    job_id: str,
    steps: Annotated[bool, typer.Option("--steps", help="With its steps, as a tree.")] = False,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """Show a job."""
    settings = _settings(context, output, quiet)
    with reported():
        data = _raw(settings, "GET", f"/jobs/{job_id}", query=[("follow", "steps")] if steps else [])
        if data is not None:
            settings.printer.job(data, tree=steps)


def _end_body(failed: bool, force: bool) -> dict[str, bool]:
    return {"succeeded": not failed, "force": force}


def _act(settings: Settings, path: str, body: dict[str, bool]) -> None:
    """An action (end, clear): its reply printed in the chosen format."""
    data = _raw(settings, "POST", path, body=body)
    if data is not None:
        settings.printer.action(data)


@job_app.command("end")
def job_end(
    context: typer.Context,
    job_id: str,
    failed: Annotated[bool, typer.Option("--failed", help="End it failed (default: finished).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Abort its open steps; auto-clear it.")] = False,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """End a job; its open steps end with it."""
    settings = _settings(context, output, quiet)
    with reported():
        _act(settings, f"/jobs/{job_id}/end", _end_body(failed, force))


@job_app.command("clear")
def job_clear(
    context: typer.Context, job_id: str, output: OutputOption = None, quiet: QuietOption = False
) -> None:
    """Mark a job auto-cleared: once ended, it goes after its cleanup delay."""
    settings = _settings(context, output, quiet)
    with reported():
        _act(settings, f"/jobs/{job_id}/clear", {})


@job_app.command("progress")
def job_progress(
    context: typer.Context, job_id: str, percent: str, output: OutputOption = None, quiet: QuietOption = False
) -> None:
    """Report a job's progress (0-100); it renews the job's lease too."""
    settings = _settings(context, output, quiet)
    with reported():
        body = {"progress": validation.progress(percent, "PERCENT")}
        data = _raw(settings, "PUT", f"/jobs/{job_id}", body=body)
        if data is not None:
            settings.printer.job(data)


@job_app.command("heartbeat")
def job_heartbeat(
    context: typer.Context, job_id: str, output: OutputOption = None, quiet: QuietOption = False
) -> None:
    """Renew a job's lease: its deadline moves to now plus its timeout."""
    settings = _settings(context, output, quiet)
    with reported():
        _act(settings, f"/jobs/{job_id}/heartbeat", {})


# Steps.


@step_app.command("add")
def step_add(
    context: typer.Context,
    job_id: str,
    description: str,
    type: Annotated[
        str, typer.Option("--type", "-t", metavar="TYPE", help=f"The step's type: {STEP_TYPES}.")
    ] = StepType.EXECUTING,
    parent: Annotated[str | None, typer.Option(help="Add it under this step.")] = None,
    execution: Annotated[
        str | None,
        typer.Option(metavar="ARN", help="Bind it to this running AWS execution, which ends it."),
    ] = None,
    state_machine: Annotated[
        str | None, typer.Option(metavar="ARN", help="Start this state machine for it, which ends it.")
    ] = None,
    input: Annotated[
        str | None, typer.Option("--input", metavar="JSON", help="The started execution's input.")
    ] = None,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """Add a step (or, with --parent, a sub-step) to a job; prints it (its id with -q). With --execution or
    --state-machine, an AWS execution ends it (GET /capabilities lists what may be bound or started)."""
    settings = _settings(context, output, quiet)
    with reported():
        body: dict[str, Any] = {"description": description, "type": str(validation.step_type(type, "--type"))}
        if parent:
            body["parent_step"] = {"id": parent}
        bound = execution_body(execution, state_machine, None if input is None else _json_object(input))
        if bound is not None:
            body["execution"] = bound
        headers = {"Idempotency-Key": str(uuid.uuid4())}  # so that a retry cannot add a second step
        data = _raw(settings, "POST", f"/jobs/{job_id}/steps", body=body, headers=headers)
        if data is not None:
            settings.printer.steps([data], one=True)


@step_app.command("list")
def step_list(
    context: typer.Context, job_id: str, output: OutputOption = None, quiet: QuietOption = False
) -> None:
    """List a job's steps in tree order."""
    settings = _settings(context, output, quiet)
    with reported():
        if settings.printer.wants_xml:
            _raw(settings, "GET", f"/jobs/{job_id}/steps")
            return
        settings.printer.steps(list(settings.client().listing(f"/jobs/{job_id}/steps", [], "step")))


@step_app.command("show")
def step_show(
    context: typer.Context, job_id: str, step_id: str, output: OutputOption = None, quiet: QuietOption = False
) -> None:
    """Show a step."""
    settings = _settings(context, output, quiet)
    with reported():
        data = _raw(settings, "GET", f"/jobs/{job_id}/steps/{step_id}")
        if data is not None:
            settings.printer.steps([data], one=True)


@step_app.command("end")
def step_end(
    context: typer.Context,
    job_id: str,
    step_id: str,
    failed: Annotated[bool, typer.Option("--failed", help="End it failed, which fails its job.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Abort its open sub-steps.")] = False,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """End a step; its open sub-steps end with it."""
    settings = _settings(context, output, quiet)
    with reported():
        _act(settings, f"/jobs/{job_id}/steps/{step_id}/end", _end_body(failed, force))


def _json_object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise errors.InvalidArgument('--input must be a JSON object, such as \'{"vm": "db01"}\'')
    return data


@step_app.command("progress")
def step_progress(
    context: typer.Context,
    job_id: str,
    step_id: str,
    percent: str,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """Report a step's progress (0-100). It does not renew the job's lease: send heartbeats for that."""
    settings = _settings(context, output, quiet)
    with reported():
        body = {"progress": validation.progress(percent, "PERCENT")}
        data = _raw(settings, "PUT", f"/jobs/{job_id}/steps/{step_id}", body=body)
        if data is not None:
            settings.printer.steps([data], one=True)


# Watching and running.


def watch_view(client: Client, job_id: str | None) -> tuple[RenderableType, bool]:
    """What ``watch`` shows now, and whether there is nothing more to wait for."""
    from xtasks import render

    if job_id is None:
        return render.jobs_table(list(client.list_jobs(page_size=50))[:50]), False
    job = client.get_job(job_id)
    steps = list(client.list_steps(job_id, page_size=1000))
    return render.job_tree(job, steps), job.status.is_terminal


@app.command()
def watch(
    context: typer.Context,
    job_id: Annotated[
        str | None, typer.Argument(help="A job, to follow its step tree; none: the latest jobs.")
    ] = None,
    interval: Annotated[str, typer.Option(metavar="SECONDS", help="Seconds between refreshes.")] = "1",
) -> None:
    """Watch jobs, or one job's step tree, live, until it ends (or Ctrl-C)."""
    from rich.live import Live

    settings = _settings(context)
    with reported():
        seconds = validation.seconds(interval, "--interval")
        client = settings.client()
        view, done = watch_view(client, job_id)
        try:
            with Live(
                view, console=settings.printer.console(), refresh_per_second=4, transient=False
            ) as live:
                while not done:
                    time.sleep(seconds)
                    view, done = watch_view(client, job_id)
                    live.update(view)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    context: typer.Context,
    description: Annotated[
        str | None, typer.Option(help="The job's description (default: the command).")
    ] = None,
    timeout: TimeoutOption = None,
    output: OutputOption = None,
    quiet: QuietOption = False,
) -> None:
    """Run a command as a job with one executing step: xtasks run --description TEXT -- COMMAND...

    The job ends finished when the command exits 0, failed otherwise; xtasks exits with the command's status.
    With --timeout, heartbeats keep the job alive while the command runs: if xtasks itself dies, the job ends
    unknown once the timeout has passed.
    """
    settings = _settings(context, output, quiet)
    command = list(context.args)
    if not command:
        raise fail("run needs a command after --", 2)
    text = " ".join(command)
    with reported():
        lease = None if timeout is None else validation.timeout(timeout, "--timeout")
        client = settings.client()
        job = client.add_job(description or text, timeout=lease)
        step = client.add_step(job.id, text, StepType.EXECUTING)
        if settings.printer.quiet:
            settings.printer.text(job.id)
        beating = heartbeats(client, job)
        try:
            code = subprocess.run(command, check=False).returncode  # noqa: S603 - the user's own command
        except OSError as error:
            sys.stderr.write(f"xtasks: {command[0]}: {error.strerror}\n")
            code = 127
        except KeyboardInterrupt:
            code = 130
        finally:
            if beating is not None:
                beating.stop()
        client.end_step(job.id, step.id, succeeded=code == 0)
        if code == 0:
            client.end_job(job.id, succeeded=True)  # a failed step has failed the job already
    raise typer.Exit(code)


@app.command()
def events(
    context: typer.Context,
    file: Annotated[
        Path,
        typer.Option(
            envvar="XTASKS_EVENTS_FILE",
            help="The local server's change events (make run writes them to .xtasks/events.jsonl).",
        ),
    ] = Path(".xtasks/events.jsonl"),
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events (Ctrl-C).")
    ] = False,
    job: Annotated[str | None, typer.Option(metavar="JOB_ID", help="Only this job's events.")] = None,
    output: OutputOption = None,
) -> None:
    """Print change events from the file make run writes them to: one line each, or JSON with -o json.

    Deployed, the events go to the stack's EventBusName bus instead, for rules to receive."""
    settings = _settings(context, output)
    with reported():
        try:
            for event in change_events.read(file, follow=follow, seconds=0.5):
                if job is None or event.get("detail", {}).get("job_id") == job:
                    settings.printer.text(
                        json.dumps(event, ensure_ascii=False)
                        if settings.printer.output is not Output.TABLE
                        else change_events.line(event)
                    )
        except FileNotFoundError:
            raise fail(
                f"{file} does not exist: is the local server (make run) running from this folder?", 8
            ) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
