"""Start-up (issue 10): importing xtasks, and `xtasks --help`, load neither botocore nor rich, nor anything
of the service. Checked in a fresh interpreter, by the modules it loaded (no timings)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("botocore", "rich", "pydantic", "aws_lambda_powertools", "external_tasks", "xtasks_local")

PROBE = """
import json, sys
import xtasks
from xtasks.cli import app
try:
    app(["--help"], prog_name="xtasks")
except SystemExit as done:
    assert done.code == 0, done.code
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


def test_help_loads_neither_botocore_nor_rich_nor_the_service() -> None:
    # Given a fresh interpreter, when it imports xtasks and prints the command line's help
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)  # noqa: S603
    loaded = set(json.loads(done.stderr.splitlines()[-1]))
    # Then the help was printed, and nothing heavy was loaded for it
    assert "Usage: xtasks" in done.stdout
    assert "typer" in loaded
    assert not loaded & set(HEAVY)
