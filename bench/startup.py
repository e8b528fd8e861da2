"""The command line's start-up next to a bare ``import botocore.session`` (issue 10: within 1.5 times it).

Measured: ``xtasks --help``; a command up to its answer, ``xtasks job list -o json`` against a server on
this machine that answers at once; and ``python -c "import botocore.session"``, the least that any command
signing a request pays. Each figure is the median wall time of fresh interpreters, run in turns (one of each
per round, so that a busy machine slows them alike), after a round that is not counted: it writes the
bytecode (as pip does when it installs), so that what is measured is what an installed client pays.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RUNS = 7
BUDGET_RATIO = 1.5
XTASKS = Path(sys.executable).parent / "xtasks"


class _EmptyListing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"job": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmptyListing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()


def _environment(endpoint: str) -> dict[str, str]:
    """This environment with bytecode written, and credentials that stop botocore's chain at once."""
    kept = {
        k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("AWS_")
    }
    return kept | {
        "XTASKS_ENDPOINT": endpoint,
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1",
    }


def _seconds(command: Sequence[str | Path], environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=environment, check=True, capture_output=True)  # noqa: S603
    return time.perf_counter() - started


def _medians(
    commands: dict[str, Sequence[str | Path]], environment: dict[str, str], runs: int
) -> dict[str, float]:
    """The median seconds of each command, run in turns; the first round is not counted."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round in range(runs + 1):
        for name, command in commands.items():
            seconds = _seconds(command, environment)
            if round:
                times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}


def measure_cli_startup(runs: int = RUNS) -> dict[str, float]:
    """Median seconds of ``xtasks --help``, of ``xtasks job list -o json`` (start-up and one local request)
    and of a bare ``import botocore.session``, each in fresh interpreters; and the two ratios to the last."""
    with _api() as endpoint:
        medians = _medians(
            {
                "botocore": [sys.executable, "-c", "import botocore.session"],
                "help": [XTASKS, "--help"],
                "command": [XTASKS, "job", "list", "-o", "json"],
            },
            _environment(endpoint),
            runs,
        )
    return {
        "runs": runs,
        "import_botocore_session_s": round(medians["botocore"], 4),
        "xtasks_help_s": round(medians["help"], 4),
        "xtasks_command_s": round(medians["command"], 4),
        "help_ratio": round(medians["help"] / medians["botocore"], 3),
        "command_ratio": round(medians["command"] / medians["botocore"], 3),
        "budget_ratio": BUDGET_RATIO,
    }


if __name__ == "__main__":
    json.dump(measure_cli_startup(), sys.stdout, indent=2)
    sys.stdout.write("\n")
