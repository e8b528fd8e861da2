"""Change events as the local server writes them (one EventBridge event per line of a JSON Lines file)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any


def read(path: Path, *, follow: bool = False, seconds: float = 0.5) -> Iterator[dict[str, Any]]:
    """The file's events in order; with ``follow``, then every event appended, as it comes."""
    with path.open(encoding="utf-8") as lines:
        pending = ""
        while True:
            chunk = lines.readline()
            if chunk:
                pending += chunk
                if pending.endswith("\n"):
                    yield json.loads(pending)
                    pending = ""
                continue
            if not follow:
                return
            time.sleep(seconds)


def line(event: Mapping[str, Any]) -> str:
    """``time detail-type job[/step] previous -> status [progress%]``."""
    detail = event.get("detail", {})
    subject = detail.get("job_id", "?") + (f"/{detail['step_id']}" if detail.get("step_id") else "")
    change = f"{detail.get('previous_status') or '-'} -> {detail.get('status')}"
    if "progress" in detail:
        change += f" {detail['progress']}%"
    return f"{event.get('time', '')}  {event.get('detail-type', '')}  {subject}  {change}"
