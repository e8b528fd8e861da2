"""How jobs and steps look on a terminal: tables, a job's step tree, status colours and durations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from xtasks.enums import Status
from xtasks.resources import Job, Step

STATUS_STYLES = {
    Status.STARTED: "bold cyan",
    Status.FINISHED: "green",
    Status.FAILED: "bold red",
    Status.ABORTED: "magenta",
    Status.UNKNOWN: "yellow",
}


def status(value: Status) -> Text:
    return Text(str(value), style=STATUS_STYLES[value])


def duration(start: datetime, end: datetime | None, now: datetime | None = None) -> str:
    """``1h 02m``, ``3m 07s``, ``12.4s``: how long it ran, or has been running."""
    seconds = ((end or now or datetime.now(UTC)) - start).total_seconds()
    if seconds < 60:
        return f"{max(seconds, 0):.1f}s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def jobs_table(jobs: Iterable[Job], now: datetime | None = None) -> Table:
    table = Table(title="Jobs", title_justify="left")
    for column in ("id", "status", "description", "started", "took", "owner"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        table.add_row(
            job.id,
            status(job.status),
            job.description,
            _time(job.start_time),
            duration(job.start_time, job.end_time, now),
            job.owner.rsplit(":", 1)[-1],
        )
    return table


def steps_table(steps: Iterable[Step], now: datetime | None = None) -> Table:
    table = Table(title="Steps", title_justify="left")
    for column in ("id", "number", "status", "type", "description", "took", "parent"):
        table.add_column(column, overflow="fold")
    for step in steps:
        table.add_row(
            step.id,
            str(step.number),
            status(step.status),
            str(step.type),
            step.description,
            duration(step.start_time, step.end_time, now),
            step.parent_step_id or "",
        )
    return table


def _step_label(step: Step, now: datetime | None) -> Text:
    label = Text.assemble(
        (f"{step.number}. ", "dim"),
        step.description,
        " ",
        ("[", "dim"),
        status(step.status),
        ("]", "dim"),
        (f" {step.type} {duration(step.start_time, step.end_time, now)}", "dim"),
    )
    if step.progress is not None:
        label.append(f" {step.progress}%", style="bold")
    return label


def job_tree(job: Job, steps: Sequence[Step], now: datetime | None = None) -> Tree:
    """The job and its steps nested under their parents, in the order the API lists them (tree order)."""
    root = Tree(
        Text.assemble(
            (job.description, "bold"),
            " ",
            ("[", "dim"),
            status(job.status),
            ("]", "dim"),
            (f" {duration(job.start_time, job.end_time, now)}  {job.id}", "dim"),
        )
    )
    nodes: dict[str, Tree] = {}
    for step in steps:
        parent = nodes.get(step.parent_step_id or "", root)
        nodes[step.id] = parent.add(_step_label(step, now))
    return root


def job_details(job: Job, now: datetime | None = None) -> Table:
    table = Table(show_header=False, box=None)
    table.add_column(style="dim")
    table.add_column(overflow="fold")
    rows: list[tuple[str, str | Text]] = [
        ("id", job.id),
        ("description", job.description),
        ("status", status(job.status)),
        ("owner", job.owner),
        ("started", _time(job.start_time)),
        ("ended", _time(job.end_time)),
        ("took", duration(job.start_time, job.end_time, now)),
        ("last updated", _time(job.last_updated)),
        ("auto-cleared", "yes" if job.auto_cleared else "no"),
        ("correlation id", job.correlation_id),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table
