"""The client is a distribution of its own (issue 10): `pip install ./client` in a new virtual environment
gives a working `xtasks` and `from xtasks import Client`, and installs nothing of the service. Needs the
package index (PyPI) for botocore, typer, rich and hatchling, as any installation of the client does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xtasks_local.template import ROOT

SERVICE = ("pydantic", "aws_lambda_powertools", "external_tasks", "xtasks_local")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the client installed as the README says: pip install ./client."""
    folder = tmp_path_factory.mktemp("client-venv")
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)  # noqa: S603
    installed = subprocess.run(  # noqa: S603
        [folder / "bin" / "python", "-m", "pip", "install", "--quiet", str(ROOT / "client")],
        check=False, capture_output=True, text=True, timeout=600, env=_outside(), cwd=folder,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-3000:]
    return folder


def _outside() -> dict[str, str]:
    """This environment, less what would let the new one see the checkout's packages."""
    return {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "VIRTUAL_ENV")}


def _run(venv: Path, *command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=_outside(), cwd=venv, check=False)  # noqa: S603


def test_the_installed_command_line_prints_its_help(venv: Path) -> None:
    done = _run(venv, venv / "bin" / "xtasks", "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage: xtasks" in done.stdout
    assert "local" not in done.stdout.split("Commands:")[1]  # the local server is the service's (make run)


def test_the_installed_client_imports_without_the_service(venv: Path) -> None:
    probe = f"""
import importlib.metadata, importlib.util
from xtasks import Client
import xtasks.cli
print(importlib.metadata.metadata("xtasks")["License-Expression"])
print([name for name in {SERVICE!r} if importlib.util.find_spec(name) is not None])
"""
    done = _run(venv, venv / "bin" / "python", "-c", probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Apache-2.0", "[]"]


def test_the_installed_command_line_fails_in_one_line_with_its_exit_code(venv: Path) -> None:
    done = _run(venv, venv / "bin" / "xtasks", "--endpoint", "localhost:3000/api", "job", "list")
    assert done.returncode == 8
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("xtasks: The endpoint 'localhost:3000/api' is not usable")
