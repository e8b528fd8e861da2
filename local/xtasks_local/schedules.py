"""Scheduled functions, locally: a function of template.yaml with a ``Schedule`` or ``ScheduleV2`` event runs
in this process every ``SECONDS`` seconds, whatever its rate says, so that what it does on AWS within a
minute (delete expired jobs) shows here within seconds, as the local clean-up delays do.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

from xtasks_local.template import LambdaHandler, Template, load_handler

SECONDS = 1.0
_KINDS = ("Schedule", "ScheduleV2")


class ScheduledFunction(threading.Thread):
    def __init__(self, name: str, handler: LambdaHandler, event: Any) -> None:
        super().__init__(name=f"schedule-{name}", daemon=True)
        self.function, self.handler, self.event = name, handler, event
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        while not self.stopping.wait(SECONDS):
            try:
                self.handler(self.event, None)
            except Exception as error:  # the local server keeps serving; the next run tries again
                sys.stderr.write(f"{self.function}: scheduled run failed: {error}\n")


def start(template: Template) -> list[ScheduledFunction]:
    """A running schedule for every scheduled function of the template."""
    running = []
    for name, function in template.of_type("AWS::Serverless::Function").items():
        properties = function["Properties"]
        for event in properties.get("Events", {}).values():
            if event["Type"] not in _KINDS:
                continue
            handler = load_handler(
                (template.path.parent / properties["CodeUri"]).resolve(),
                properties.get("Handler", template.function_globals.get("Handler")),
            )
            scheduled = ScheduledFunction(name, handler, json.loads(event["Properties"].get("Input", "{}")))
            scheduled.start()
            running.append(scheduled)
    return running
