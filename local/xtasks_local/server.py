"""The local API: serves every route of template.yaml on 127.0.0.1 under ``/api``, as API Gateway would.

``python -m xtasks_local`` (``make run``) starts the storage, creates the table, writes the local
credentials, prints how to call it and serves until Ctrl-C, then stops everything it started.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType

from xtasks_local import credentials, schedules, storage, streams
from xtasks_local.gateway import Gateway, HttpRequest, HttpResponse
from xtasks_local.iam import ADMIN
from xtasks_local.template import ROOT, TABLE, Template

TABLE_NAME = "external-tasks-local"
# What the template's PageTokenSecret resolves to; the secret itself is credentials.page_token_key's.
PAGE_TOKEN_SECRET_ARN = "arn:aws:secretsmanager:local:123456789012:secret:xtasks-local-page-tokens"  # noqa: S105
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
WATCHED = ("functions", "layers", "local", "template.yaml")


@dataclass(frozen=True, slots=True)
class Options:
    port: int
    auth: str  # sigv4 | none
    region: str
    dynamodb_endpoint: str | None
    reload: bool
    parameters: dict[str, str]
    state_dir: Path


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _parameters(text: str) -> dict[str, str]:
    """``Name=Value Name=Value`` as ``sam deploy --parameter-overrides`` takes them."""
    pairs = {}
    for item in text.split():
        name, equals, value = item.partition("=")
        if not equals:
            raise SystemExit(f"parameter override {item!r} is not Name=Value")
        pairs[name] = value
    return pairs


def parse_options(argv: Sequence[str] | None = None) -> Options:
    environ = {name: value for name, value in os.environ.items() if value.strip()}  # empty counts as unset
    parser = argparse.ArgumentParser(prog="xtasks-local", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=int(environ.get("PORT", "3000")), help="default 3000 ($PORT)"
    )
    parser.add_argument(
        "--auth",
        choices=("sigv4", "none"),
        default=environ.get("AUTH", "sigv4"),
        help="sigv4 checks signatures and permissions; none: every caller is the local administrator ($AUTH)",
    )
    parser.add_argument(
        "--region", default=environ.get("REGION", "us-east-1"), help="signing region ($REGION)"
    )
    parser.add_argument(
        "--dynamodb-endpoint",
        default=environ.get("DYNAMODB_ENDPOINT") or None,
        help="use this DynamoDB instead of starting DynamoDB Local ($DYNAMODB_ENDPOINT)",
    )
    parser.add_argument(
        "--reload",
        action="store_true",
        default=_truthy(environ.get("RELOAD")),
        help="restart on code changes",
    )
    parser.add_argument(
        "--parameter-overrides",
        default=environ.get("PARAMETERS", ""),
        help="template parameters, e.g. 'SucceededJobCleanupMinutes=0.1' ($PARAMETERS)",
    )
    parser.add_argument(
        "--state-dir", type=Path, default=Path(environ.get("XTASKS_STATE_DIR", ROOT / ".xtasks"))
    )
    args = parser.parse_args(argv)
    return Options(
        port=args.port,
        auth=args.auth,
        region=args.region,
        dynamodb_endpoint=args.dynamodb_endpoint,
        reload=args.reload,
        parameters=_parameters(args.parameter_overrides),
        state_dir=args.state_dir,
    )


def configure_functions(template: Template, options: Options, endpoint: str) -> None:
    """The environment the template gives the functions, plus where their DynamoDB is; every route's code
    and layer importable. The functions run in this process."""
    parameters = {"AdminPrincipals": ADMIN.arn, **options.parameters}
    environment = template.environment(
        {TABLE: TABLE_NAME, "PageTokenSecret": PAGE_TOKEN_SECRET_ARN}, parameters
    )
    # No Secrets Manager here: the functions read the secret itself (config.page_token_key).
    environment.pop("PAGE_TOKEN_SECRET_ARN", None)
    environment["PAGE_TOKEN_KEY"] = credentials.page_token_key(options.state_dir)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        environment,
        AWS_REGION=options.region,
        AWS_DEFAULT_REGION=options.region,
        AWS_ENDPOINT_URL_DYNAMODB=endpoint,
        AWS_ACCESS_KEY_ID=storage.LOCAL_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=storage.LOCAL_ACCESS_KEY,
        POWERTOOLS_METRICS_DISABLED="true",
    )
    for layer in template.of_type("AWS::Serverless::LayerVersion").values():
        path = str((template.path.parent / layer["Properties"]["ContentUri"]).resolve())
        if path not in sys.path:
            sys.path.insert(0, path)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and 100-continue for clients that wait for it
    server: _Server

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
                if sum(map(len, chunks)) > MAX_REQUEST_BYTES:
                    return None
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        started = time.monotonic()
        body = self._read_body()
        if body is None:
            self.close_connection = True
            response = HttpResponse(
                413, [("Content-Type", "application/json")], b'{"message":"Request Too Long"}'
            )
        else:
            request = HttpRequest(
                self.command, self.path, list(self.headers.items()), body, self.client_address[0]
            )
            response = self.server.gateway.handle(request)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        elapsed = (time.monotonic() - started) * 1000
        sys.stderr.write(f"{self.command} {self.path} -> {response.status} ({elapsed:.0f} ms)\n")

    def __getattr__(self, name: str) -> object:
        """Every method, TRACE and made-up ones included, goes to the gateway (which answers 403 for a
        method the API does not define, as API Gateway does), never to http.server's 501."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: object) -> None:
        """Requests are logged by _serve, one line each."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, gateway: Gateway) -> None:
        super().__init__(("127.0.0.1", port), _RequestHandler)
        self.gateway = gateway


def serve(options: Options, endpoint: str, local: credentials.LocalCredentials | None = None) -> None:
    """Serve the API until interrupted (the storage is already running at ``endpoint``)."""
    template = Template()
    configure_functions(template, options, endpoint)
    local = local or credentials.ensure(options.state_dir, options.region)
    hosts = [f"127.0.0.1:{options.port}", f"localhost:{options.port}"]
    gateway = Gateway(
        template,
        region=options.region,
        credentials=local,
        hosts=hosts,
        check_signatures=options.auth == "sigv4",
    )
    mappings = streams.start(template, TABLE_NAME, endpoint, options.region)
    scheduled = schedules.start(template)
    try:
        with _Server(options.port, gateway) as server:
            server.serve_forever()
    finally:
        for mapping in mappings:
            mapping.stop()
        for schedule in scheduled:
            schedule.stop()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _snapshot() -> dict[Path, float]:
    files: dict[Path, float] = {}
    for name in WATCHED:
        root = ROOT / name
        for path in [root] if root.is_file() else root.rglob("*.py"):
            files[path] = path.stat().st_mtime
    return files


def _supervise(argv: Sequence[str], endpoint: str) -> None:
    """Serve from a child process, started again whenever the code or the template changes."""
    command = [sys.executable, "-m", "xtasks_local", "serve", *argv, "--dynamodb-endpoint", endpoint]
    while True:
        child = subprocess.Popen(command)  # noqa: S603 - our own module
        seen = _snapshot()
        try:
            while child.poll() is None and _snapshot() == seen:
                time.sleep(0.5)
        finally:
            child.terminate()
            child.wait()
        sys.stderr.write("code changed: restarting the local API\n")


@contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C and SIGTERM end the block normally (even where a shell started us with SIGINT ignored)."""
    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, _on_sigterm),
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
    }
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def banner(options: Options, local: credentials.LocalCredentials, description: str) -> str:
    base = f"http://127.0.0.1:{options.port}/api"
    lines = [
        f"External Tasks API on {base}",
        f"  storage:     {description}, table {TABLE_NAME}",
        f"  region:      {options.region} (sign for service execute-api)",
        f"  credentials: {local.credentials_file} (profiles writer, reader, admin)",
        f"  try:         AWS_SHARED_CREDENTIALS_FILE={local.credentials_file} AWS_PROFILE=writer "
        f"awscurl --service execute-api --region {options.region} -X POST "
        f'-H "Content-Type: application/json" -d \'{{"description": "Hello"}}\' {base}/jobs',
    ]
    if options.parameters:
        lines.append(f"  parameters:  {' '.join(f'{k}={v}' for k, v in options.parameters.items())}")
    if options.auth == "none":
        lines.append(
            "  WARNING: AUTH=none: signatures are not checked and every caller is the local administrator"
        )
    lines.append("Ctrl-C stops it.")
    return "\n".join(lines)


def run(argv: Sequence[str] | None = None) -> int:
    """The README's run command."""
    options = parse_options(argv)
    template = Template()
    with _interruptible():
        store = storage.start(options.region, options.dynamodb_endpoint)
        try:
            storage.create_table(storage.client(store.endpoint, options.region), template, TABLE_NAME)
            local = credentials.ensure(options.state_dir, options.region)
            sys.stderr.write(banner(options, local, store.description) + "\n")
            if options.reload:
                passed = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--reload"]
                _supervise(passed, store.endpoint)
            else:
                serve(options, store.endpoint, local)
        finally:
            store.stop()
            sys.stderr.write("stopped\n")
    return 0


def serve_child(argv: Sequence[str]) -> int:
    """``python -m xtasks_local serve …``: the process _supervise restarts on code changes."""
    options = parse_options(argv)
    assert options.dynamodb_endpoint is not None
    with _interruptible():
        serve(options, options.dynamodb_endpoint)
    return 0
