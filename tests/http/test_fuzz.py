"""Schemathesis, fuzzing the local API from openapi/openapi.json (issue: Hardening): no server error, every
reply conforming to the document (status, content type, headers, schema), and data the document forbids
refused. The run reports how many requests it made."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.http import LocalApi
from tools import openapi

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    ]
)
EXAMPLES_PER_OPERATION = 30


def test_the_api_survives_fuzzing_and_conforms_to_its_document(
    open_api: LocalApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert open_api.state is not None
    log = open_api.state / "server.log"
    served_before = log.read_text().count(" -> ")
    command = [
        str(Path(sys.executable).parent / "st"), "run", str(openapi.DOCUMENT), "--url", open_api.base,
        # AUTH=none: the functions' handling is fuzzed; signatures are tested in test_signatures.py
        "--header", "Authorization: AWS4-HMAC-SHA256 Credential=fuzz/ignored",
        "--checks", CHECKS, "--max-examples", str(EXAMPLES_PER_OPERATION), "--workers", "2",
        "--seed", "20261125", "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)  # noqa: S603
    served = log.read_text().splitlines()
    requests = [line for line in served if " -> " in line][served_before:]
    server_errors = [line for line in requests if re.search(r" -> 5\d\d ", line)]
    with capsys.disabled():
        sys.stdout.write(
            f"\nfuzz: {len(requests)} requests to the local API, {len(server_errors)} server errors\n"
        )
    assert run.returncode == 0, run.stdout[-6000:]
    assert server_errors == []
    assert len(requests) >= 10 * EXAMPLES_PER_OPERATION
