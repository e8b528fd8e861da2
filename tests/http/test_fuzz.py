"""Schemathesis, fuzzing the local API from openapi/openapi.json with every check it has (issues: Hardening,
10): no server error; every reply conforming to the document (status, content type, headers, schema); data
the document forbids refused and data it allows accepted, so the document is exactly as strict as the
service; requests without or with a wrong signature refused. Any finding fails the test.

Requests are signed as a plug-in signs them (tests/support/fuzz_hooks.py, which also says which answer of
API Gateway's and which rules of the API no document can state are allowed for); the settings are in
tests/http/schemathesis.toml. The run reports how many requests it made.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.http import LocalApi
from tools import openapi

HERE = Path(__file__).parent
HOOKS = HERE.parent / "support" / "fuzz_hooks.py"  # loaded by st, not imported here: it registers hooks
EXAMPLES_PER_OPERATION = 20  # the coverage phase adds its own cases; about 1,000 requests in all


def test_the_api_survives_fuzzing_and_is_exactly_as_strict_as_its_document(
    local_api: LocalApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert local_api.state is not None
    log = local_api.state / "server.log"
    served_before = log.read_text().count(" -> ")
    command = [
        str(Path(sys.executable).parent / "st"), "--config-file", str(HERE / "schemathesis.toml"),
        "run", str(openapi.DOCUMENT), "--url", local_api.base, "--checks", "all",
        "--max-examples", str(EXAMPLES_PER_OPERATION), "--workers", "2", "--seed", "20261125",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment |= {
        "SCHEMATHESIS_HOOKS": str(HOOKS),
        "AWS_SHARED_CREDENTIALS_FILE": str(local_api.state / "credentials"),
        "AWS_PROFILE": "writer",
        "AWS_REGION": local_api.region,
    }
    run = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=900, check=False, env=environment, cwd=tmp_path
    )
    served = log.read_text().splitlines()
    requests = [line for line in served if " -> " in line][served_before:]
    server_errors = [line for line in requests if re.search(r" -> 5\d\d ", line)]
    summary = re.search(r"(\d+) generated, .*", run.stdout)
    with capsys.disabled():
        sys.stdout.write(
            f"\nfuzz: {len(requests)} requests to the local API, {len(server_errors)} server errors; "
            f"schemathesis: {summary[0] if summary else 'no summary'}\n"
        )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    assert server_errors == []
    assert len(requests) >= 40 * EXAMPLES_PER_OPERATION
