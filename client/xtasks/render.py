"""How jobs, steps and action replies look on a terminal: tables, a job's step tree, status colours and
durations. Only the command line imports this module (and so rich), and only to print a table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
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
_UNBOUNDED = 100_000


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


_BAR_WIDTH = 10


def progress_bar(percent: int | None) -> Text:
    """``███████░░░  70%``; nothing while no progress was reported."""
    if percent is None:
        return Text("")
    filled = round(max(0, min(percent, 100)) * _BAR_WIDTH / 100)
    return Text.assemble(("█" * filled, "green"), ("░" * (_BAR_WIDTH - filled), "dim"), f" {percent:>3}%")


def deadline(when: datetime | None, now: datetime | None = None) -> str:
    """``in 2m 05s``, or ``lapsed 12.0s ago``: how long a started job's lease has left."""
    if when is None:
        return ""
    moment = now or datetime.now(UTC)
    if when >= moment:
        return f"in {duration(moment, when)}"
    return f"lapsed {duration(when, moment)} ago"


@dataclass(frozen=True, slots=True)
class Column:
    """``drop``: 0 for a column always shown; otherwise the higher, the sooner it is left out of a table too
    wide for the terminal. A ``whole`` column (ids, statuses) is never wrapped nor cut: an id can be copied
    whole."""

    name: str
    drop: int = 0
    whole: bool = False


class FittedTable:
    """A table that leaves out its least needed columns when the terminal is too narrow for all of them."""

    def __init__(self, title: str, columns: Sequence[Column], rows: Sequence[Sequence[str | Text]]) -> None:
        self.title, self.columns, self.rows = title, columns, rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        shown = list(self.columns)
        table = self.table(shown)
        while _narrowest(console, options, table) > options.max_width and any(c.drop for c in shown):
            shown.remove(max(shown, key=lambda column: column.drop))
            table = self.table(shown)
        yield table

    def table(self, shown: Sequence[Column]) -> Table:
        table = Table(title=self.title, title_justify="left")
        positions = [self.columns.index(column) for column in shown]
        for column, position in zip(shown, positions, strict=True):
            if column.whole:  # as wide as its longest cell, even if the table is then wider than the terminal
                longest = max((len(str(row[position])) for row in self.rows), default=0)
                table.add_column(column.name, no_wrap=True, min_width=max(longest, len(column.name)))
            else:
                table.add_column(column.name, overflow="fold")
        for row in self.rows:
            table.add_row(*(row[position] for position in positions))
        return table


def _narrowest(console: Console, options: ConsoleOptions, table: Table) -> int:
    """The least width the table takes without breaking a word (or an id)."""
    return Measurement.get(console, options.update_width(_UNBOUNDED), table).minimum


JOB_COLUMNS = (
    Column("id", whole=True),
    Column("status", whole=True),
    Column("description"),
    Column("started", drop=2),
    Column("took", drop=1),
    Column("progress", drop=4),
    Column("deadline", drop=5),
    Column("owner", drop=6),
)
STEP_COLUMNS = (
    Column("id", whole=True),
    Column("number", drop=2),
    Column("status", whole=True),
    Column("type", drop=3),
    Column("description"),
    Column("took", drop=1),
    Column("progress", drop=5),
    Column("parent", drop=4, whole=True),
)


def jobs_table(jobs: Iterable[Job], now: datetime | None = None) -> FittedTable:
    rows = [
        (
            job.id,
            status(job.status),
            job.description,
            _time(job.start_time),
            duration(job.start_time, job.end_time, now),
            progress_bar(job.progress),
            deadline(job.deadline, now),
            job.owner.rsplit(":", 1)[-1],
        )
        for job in jobs
    ]
    return FittedTable("Jobs", JOB_COLUMNS, rows)


def steps_table(steps: Iterable[Step], now: datetime | None = None) -> FittedTable:
    rows = [
        (
            step.id,
            str(step.number),
            status(step.status),
            str(step.type),
            step.description,
            duration(step.start_time, step.end_time, now),
            progress_bar(step.progress),
            step.parent_step_id or "",
        )
        for step in steps
    ]
    return FittedTable("Steps", STEP_COLUMNS, rows)


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
        label.append(" ")
        label.append_text(progress_bar(step.progress))
    return label


def job_tree(job: Job, steps: Sequence[Step], now: datetime | None = None) -> Tree:
    """The job and its steps nested under their parents, in the order the API lists them (tree order)."""
    label = Text.assemble(
        (job.description, "bold"),
        " ",
        ("[", "dim"),
        status(job.status),
        ("]", "dim"),
        (f" {duration(job.start_time, job.end_time, now)}  {job.id}", "dim"),
    )
    if job.progress is not None:
        label.append(" ")
        label.append_text(progress_bar(job.progress))
    if job.deadline is not None and job.status is Status.STARTED:
        label.append(f"  deadline {deadline(job.deadline, now)}", style="yellow")
    root = Tree(label)
    nodes: dict[str, Tree] = {}
    for step in steps:
        parent = nodes.get(step.parent_step_id or "", root)
        nodes[step.id] = parent.add(_step_label(step, now))
    return root


def _details(rows: Iterable[tuple[str, str | Text]]) -> Table:
    table = Table(show_header=False, box=None)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(name, value)
    return table


def job_details(job: Job, now: datetime | None = None) -> Table:
    return _details(
        [
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
            ("progress", progress_bar(job.progress)),
            ("timeout", "" if job.timeout is None else f"{job.timeout}s"),
            (
                "deadline",
                "" if job.deadline is None else f"{_time(job.deadline)} ({deadline(job.deadline, now)})",
            ),
        ]
    )


def action_details(reply: Mapping[str, Any]) -> Table:
    """An action's reply (end, clear): what was asked, on which job, and its status (complete)."""
    return _details((name.replace("_", " "), _value(value)) for name, value in reply.items())


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return str(value.get("id", value))
    return str(value)
