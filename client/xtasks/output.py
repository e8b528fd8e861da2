"""How results are printed: as tables (rich, imported only then), JSON or the API's own XML, or only ids
(-q). Action replies (end, clear) are printed in every format; with -q they print nothing."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from xtasks.resources import Job, Step

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


class Output(StrEnum):
    TABLE = "table"
    JSON = "json"
    XML = "xml"


class Printer:
    def __init__(self, output: Output, quiet: bool) -> None:
        self.output, self.quiet = output, quiet
        self._console: Console | None = None

    @property
    def wants_xml(self) -> bool:
        """Whether the reply is asked for in XML, to be printed as the API wrote it."""
        return self.output is Output.XML and not self.quiet

    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console()
        return self._console

    def text(self, text: str) -> None:
        sys.stdout.write(text if text.endswith("\n") else f"{text}\n")

    def job(self, data: Mapping[str, Any], *, tree: bool = False) -> None:
        job = Job.from_json(data)

        def view() -> RenderableType:
            from xtasks import render

            return render.job_tree(job, job.steps or ()) if tree else render.job_details(job)

        self._print(data, [job.id], view)

    def jobs(self, items: Sequence[Mapping[str, Any]]) -> None:
        jobs = [Job.from_json(item) for item in items]

        def view() -> RenderableType:
            from xtasks import render

            return render.jobs_table(jobs)

        self._print({"job": list(items)}, [job.id for job in jobs], view)

    def steps(self, items: Sequence[Mapping[str, Any]], *, one: bool = False) -> None:
        """Steps as a table; ``one``: a single step, printed in JSON as itself rather than as a list."""
        steps = [Step.from_json(item) for item in items]

        def view() -> RenderableType:
            from xtasks import render

            return render.steps_table(steps)

        data = items[0] if one else {"step": list(items)}
        self._print(data, [step.id for step in steps], view)

    def action(self, data: Mapping[str, Any]) -> None:
        def view() -> RenderableType:
            from xtasks import render

            return render.action_details(data)

        self._print(data, [], view)

    def _print(self, data: Any, ids: Sequence[str], view: Callable[[], RenderableType]) -> None:
        if self.quiet:
            for ident in ids:
                self.text(ident)
        elif self.output is Output.TABLE:
            self.console().print(view())
        else:  # JSON; XML replies are printed as the API wrote them (Printer.text)
            self.text(json.dumps(data, indent=2, ensure_ascii=False))
