"""The artifact sam build makes ships precompiled bytecode for every module (benchmark issue): Lambda's code
directory is read-only, so a module without its .pyc is compiled again on every cold start."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from xtasks_local.template import ROOT, Template

BUILD = ROOT / ".aws-sam" / "build"


@pytest.fixture(scope="module")
def build() -> Path:
    """sam build's output: the one `make test` just made, else made here."""
    sources = [ROOT / "template.yaml", *ROOT.glob("functions/*/app.py"), *ROOT.glob("layers/shared/**/*.py")]
    built = BUILD / "template.yaml"
    if not built.exists() or built.stat().st_mtime < max(source.stat().st_mtime for source in sources):
        # make finds Python 3.13 and installs the SAM CLI, as for `make test`
        make = shutil.which("make")
        assert make is not None
        subprocess.run([make, "--no-print-directory", "sam-build"], cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    return BUILD


def _sources_without_bytecode(folder: Path) -> list[Path]:
    missing = []
    for source in folder.rglob("*.py"):
        compiled = Path(importlib.util.cache_from_source(str(source)))
        if not compiled.exists():
            missing.append(source)
        elif int.from_bytes(compiled.read_bytes()[4:8], "little") & 1 == 0:
            missing.append(source)  # a timestamp .pyc: checked against its source at every import
    return missing


def test_the_layer_ships_bytecode_for_every_module(build: Path) -> None:
    layer = build / "SharedLayer" / "python"
    assert (layer / "external_tasks" / "jobs.py").exists()
    assert (layer / "pydantic").is_dir()
    assert _sources_without_bytecode(layer) == []
    assert not (layer / "boto3").exists()  # the runtime's own


def test_every_function_ships_its_bytecode(build: Path) -> None:
    for name in Template().of_type("AWS::Serverless::Function"):
        folder = build / name
        assert (folder / "app.py").exists(), name
        assert _sources_without_bytecode(folder) == [], name
