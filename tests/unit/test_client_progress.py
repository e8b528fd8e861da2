"""The client's side of progress, heartbeats and timeouts, without a server: arguments refused before
sending, background heartbeats that stop cleanly, progress bars and deadlines on a terminal."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console

from xtasks import Conflict, InvalidArgument, Job, Status, Unavailable, validation
from xtasks.render import deadline, job_tree, jobs_table, progress_bar
from xtasks.scopes import Heartbeats, JobScope

START = datetime(2025, 11, 30, 4, 6, 7, tzinfo=UTC)


def _job(**fields: Any) -> Job:
    base: dict[str, Any] = {
        "id": "0e5c0a52-3f6b-4a8e-9d0b-6b5c2f3d4e5f", "description": "Copy", "status": Status.STARTED,
        "owner": "arn:aws:iam::123456789012:role/ExternalTasks", "start_time": START, "last_updated": START,
        "auto_cleared": True, "correlation_id": "c",
    }  # fmt: skip
    return Job(**{**base, **fields})


@pytest.mark.parametrize("value", [-1, 101, "x", "", True, "4 0"])
def test_progress_outside_0_to_100_is_refused_before_sending(value: Any) -> None:
    with pytest.raises(InvalidArgument, match="PERCENT must be a whole number from 0 to 100"):
        validation.progress(value, "PERCENT")


@pytest.mark.parametrize("value", [59, 604_801, "1m", True])
def test_a_timeout_outside_60_to_604800_seconds_is_refused_before_sending(value: Any) -> None:
    with pytest.raises(InvalidArgument, match="--timeout must be a whole number of seconds from 60"):
        validation.timeout(value, "--timeout")
    assert validation.timeout(" 60 ", "--timeout") == 60


class FakeClient:
    """Counts heartbeats; answers them as told."""

    def __init__(self, *answers: Exception | None) -> None:
        self.answers = list(answers)
        self.beats = 0
        self.ended: list[bool] = []
        self.beaten = threading.Event()

    def heartbeat(self, job_id: str) -> None:
        self.beats += 1
        self.beaten.set()
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer

    def add_job(self, description: str, *, auto_cleared: bool, timeout: int | None) -> Job:
        return _job(timeout=timeout)

    def end_job(self, job_id: str, *, succeeded: bool) -> None:
        self.ended.append(succeeded)


def test_heartbeats_go_on_through_failures_and_stop_when_asked() -> None:
    client = FakeClient(Unavailable(503, "Service Unavailable", "busy"), None)
    beating = Heartbeats(client, "job", 0.01)  # type: ignore[arg-type]
    beating.start()
    deadline_at = time.monotonic() + 5
    while client.beats < 3 and time.monotonic() < deadline_at:
        time.sleep(0.01)
    beating.stop()
    assert not beating.is_alive()
    beats = client.beats
    time.sleep(0.05)
    assert client.beats == beats >= 3


def test_heartbeats_stop_by_themselves_once_the_job_has_ended() -> None:
    client = FakeClient(Conflict(409, "Conflict", "ended"))
    beating = Heartbeats(client, "job", 0.01)  # type: ignore[arg-type]
    beating.start()
    beating.join(5)
    assert not beating.is_alive()
    assert client.beats == 1


def test_a_job_block_heartbeats_only_with_a_timeout_and_stops_before_it_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("xtasks.scopes.HEARTBEATS_PER_TIMEOUT", 6_000)  # every 10 ms for a 60 s timeout
    timed = FakeClient()
    with JobScope(timed, "Copy", True, timeout=60):  # type: ignore[arg-type]
        assert timed.beaten.wait(5)
    beats = timed.beats
    time.sleep(0.05)
    assert timed.beats == beats
    assert timed.ended == [True]
    assert not [t for t in threading.enumerate() if t.name.startswith("xtasks-heartbeats")]
    untimed = FakeClient()
    with JobScope(untimed, "Copy", True):  # type: ignore[arg-type]
        time.sleep(0.05)
    assert untimed.beats == 0


def _text(renderable: object, width: int = 200) -> str:
    console = Console(width=width, record=True, force_terminal=False)
    console.print(renderable)
    return console.export_text()


def test_progress_is_a_bar_and_a_deadline_how_long_is_left() -> None:
    assert _text(progress_bar(40)).strip() == "████░░░░░░  40%"
    assert _text(progress_bar(None)).strip() == ""
    assert deadline(START + timedelta(seconds=125), START) == "in 2m 05s"
    assert deadline(START - timedelta(seconds=12), START) == "lapsed 12.0s ago"
    job = _job(progress=70, timeout=300, deadline=START + timedelta(minutes=5))
    tree = _text(job_tree(job, [], now=START))
    assert "███████░░░  70%" in tree
    assert "deadline in 5m 00s" in tree
    table = _text(jobs_table([job], now=START))
    assert "70%" in table
    assert "in 5m 00s" in table
