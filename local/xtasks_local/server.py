"""The local API: serves every route of template.yaml on 127.0.0.1 under ``/api``, as API Gateway would.

``python -m xtasks_local`` (``make run``) starts the storage, creates the table, writes the local
credentials, prints how to call it and serves until Ctrl-C, then stops everything it started.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import socketserver
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType

from xtasks_local import credentials, framing, local_aws, schedules, storage, streams, users
from xtasks_local.cognito import CognitoAuthorizer
from xtasks_local.gateway import Gateway, HttpRequest, HttpResponse
from xtasks_local.iam import ADMIN
from xtasks_local.monitor import MonitorSite
from xtasks_local.options import DEFAULT_READ_TIMEOUT, Options, parse_options
from xtasks_local.template import ROOT, TABLE, Template

TABLE_NAME = "external-tasks-local"
# What the template's PageTokenSecret resolves to; the secret itself is credentials.page_token_key's.
PAGE_TOKEN_SECRET_ARN = "arn:aws:secretsmanager:local:123456789012:secret:xtasks-local-page-tokens"  # noqa: S105
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
WATCHED = ("functions", "layers", "local", "template.yaml")


def configure_functions(
    template: Template, options: Options, endpoint: str, pool: users.LocalUserPool
) -> None:
    """The environment the template gives the functions, plus where their DynamoDB and their user pool are;
    every route's code and layer importable. The functions run in this process."""
    parameters = {"AdminPrincipals": ADMIN.arn, **options.parameters}
    references = {
        TABLE: TABLE_NAME,
        "PageTokenSecret": PAGE_TOKEN_SECRET_ARN,
        users.USER_POOL: pool.pool_id,
        users.USER_POOL_CLIENT: pool.client_id,
        local_aws.CHANGE_BUS_RESOURCE: local_aws.CHANGE_BUS,
    }
    environment = template.environment(references, parameters)
    environment.update(template.function_environment(references, parameters))
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
        AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=pool.endpoint,
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

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.read_timeout)  # every read and write, bodies included

    def _respond(self) -> HttpResponse:
        try:
            framing.check_head(self.requestline, self.headers)
            body = framing.read_body(self.rfile, self.headers, MAX_REQUEST_BYTES)
        except framing.Unreadable as refused:
            self.close_connection = True
            return _json_error(refused.status, refused.message)
        if self.path.startswith(local_aws.PREFIX):  # the local EventBridge and services (local_aws.py)
            status, headers, reply = self.server.local_aws.handle(
                self.command, self.path, dict(self.headers.items()), body
            )
            return HttpResponse(status, list(headers.items()), reply)
        request = HttpRequest(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        try:
            return self.server.monitor.respond(request) or self.server.gateway.handle(request)
        except Exception:  # a fault of this server's own: answered as API Gateway answers its own
            traceback.print_exc()
            return _json_error(500, "Internal server error")

    def _send(self, response: HttpResponse) -> None:
        if self.request_version == "HTTP/0.9":  # a request line without a version: answered in HTTP/1.1
            self.request_version = "HTTP/1.1"
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _serve(self) -> None:
        started = time.monotonic()
        response = self._respond()
        try:
            self._send(response)
        except OSError as error:  # the client has gone: nobody is left to answer
            self.close_connection = True
            sys.stderr.write(f"{self.command} {self.path!r}: the reply could not be sent ({error})\n")
            return
        elapsed = (time.monotonic() - started) * 1000
        sys.stderr.write(f"{self.command} {self.path!r} -> {response.status} ({elapsed:.0f} ms)\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, headers too long): a JSON body, as this
        server's other refusals, instead of an HTML page."""
        self.close_connection = True
        response = _json_error(code, message or self.responses.get(code, ("Bad Request",))[0])
        self.command = self.command or "GET"
        with contextlib.suppress(OSError):
            self._send(response)

    def __getattr__(self, name: str) -> object:
        """Every method, TRACE and made-up ones included, goes to the gateway (which answers 403 for a
        method the API does not define, as API Gateway does), never to http.server's 501."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: object) -> None:
        """Requests are logged by _serve, one line each."""


def _json_error(status: int, message: str) -> HttpResponse:
    return HttpResponse(
        status, [("Content-Type", "application/json")], json.dumps({"message": message}).encode()
    )


class PortUnavailable(Exception):
    """The port cannot be listened on; the message says why, in one line."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # a port left in TIME_WAIT by the last run, never one another server holds
    allow_reuse_port = False
    gateway: Gateway  # set by serve, before the first request is accepted
    monitor: MonitorSite  # likewise
    local_aws: local_aws.LocalAws  # likewise

    def __init__(self, port: int, read_timeout: float) -> None:
        self.read_timeout = read_timeout
        super().__init__(("127.0.0.1", port), _RequestHandler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse lookup of the host name (seconds on some machines)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]


def listen(port: int, read_timeout: float = DEFAULT_READ_TIMEOUT) -> _Server:
    """The server, bound to 127.0.0.1:``port`` and listening, or PortUnavailable at once."""
    try:
        return _Server(port, read_timeout)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortUnavailable(
                f"port {port} on 127.0.0.1 is already in use: stop what listens there, or choose another "
                "port (PORT= or --port)"
            ) from None
        raise PortUnavailable(f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}") from None


def serve(
    options: Options,
    endpoint: str,
    local: credentials.LocalCredentials | None = None,
    server: _Server | None = None,
) -> None:
    """Serve the API until interrupted (the storage is already running at ``endpoint``) on ``server``, or
    on a server of its own."""
    if server is None:
        server = listen(options.port, options.read_timeout)
    template = Template()
    people = users.LocalUsers(template, options.state_dir, options.region)
    configure_functions(template, options, endpoint, people.pool)
    local = local or credentials.ensure(options.state_dir, options.region)
    hosts = [f"127.0.0.1:{options.port}", f"localhost:{options.port}"]
    server.gateway = Gateway(
        template,
        region=options.region,
        credentials=local,
        hosts=hosts,
        check_signatures=options.auth == "sigv4",
        users=CognitoAuthorizer(people.pool),
    )
    server.monitor = MonitorSite(options.auth)
    server.local_aws = local_aws.LocalAws(template, options.state_dir, options.region)
    server.local_aws.configure(f"http://127.0.0.1:{server.server_port}")
    mappings = streams.start(template, TABLE_NAME, endpoint, options.region)
    scheduled = schedules.start(template)
    try:
        with server:
            server.serve_forever()
    finally:
        for mapping in mappings:
            mapping.stop()
        for schedule in scheduled:
            schedule.stop()
        people.stop()


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
    host = f"http://127.0.0.1:{options.port}"
    base = f"{host}/api"
    people = users.users_file(options.state_dir)
    lines = [
        f"External Tasks API on {base}",
        f"  monitor:     http://127.0.0.1:{options.port}/ (the web task monitor)",
        f"  storage:     {description}, table {TABLE_NAME}",
        f"  region:      {options.region} (sign for service execute-api)",
        f"  credentials: {local.credentials_file} (profiles writer, reader, admin)",
        f"  try:         AWS_SHARED_CREDENTIALS_FILE={local.credentials_file} AWS_PROFILE=writer "
        f"awscurl --service execute-api --region {options.region} -X POST "
        f'-H "Content-Type: application/json" -d \'{{"description": "Hello"}}\' {base}/jobs',
        f"oVirt's path, for users signed in with a user name and password: {host}/ovirt-engine/api",
        f"  users:       {', '.join(users.LOCAL_USERS)}; passwords in {people}",
        f"  sign in:     curl -d grant_type=password -d scope=ovirt-app-api -d username=writer "
        f"--data-urlencode password=\"$(sed -n '/^\\[writer\\]/,/^\\[/s/^password = //p' {people})\" "
        f"{host}/ovirt-engine/sso/oauth/token",
        "  then:        curl -H 'Authorization: Bearer <access_token>' -H 'Accept: application/json' "
        f"{host}/ovirt-engine/api/jobs",
        f"  events:      {options.state_dir / 'events.jsonl'} (change events; `xtasks events` follows it)",
        f"  deliver:     curl -d @tests/fixtures/aws_events/states-execution-succeeded.json "
        f"http://127.0.0.1:{options.port}{local_aws.DEFAULT_BUS_PATH}",
    ]
    if options.parameters:
        lines.append(f"  parameters:  {' '.join(f'{k}={v}' for k, v in options.parameters.items())}")
    if options.auth == "none":
        lines.append(
            "  WARNING: AUTH=none: signatures and tokens are not checked and every caller is the local "
            "administrator"
        )
    lines.append("Ctrl-C stops it.")
    return "\n".join(lines)


def run(argv: Sequence[str] | None = None) -> int:
    """The README's run command. Its settings and its port are checked before anything starts."""
    options = parse_options(argv, description=__doc__)
    try:
        server = listen(options.port, options.read_timeout)
    except PortUnavailable as error:
        sys.stderr.write(f"xtasks-local: {error}\n")
        return 1
    template = Template()
    with _interruptible(), server:
        store = storage.start(options.region, options.dynamodb_endpoint)
        try:
            storage.create_table(storage.client(store.endpoint, options.region), template, TABLE_NAME)
            local = credentials.ensure(options.state_dir, options.region)
            users.passwords(options.state_dir)
            sys.stderr.write(banner(options, local, store.description) + "\n")
            if options.reload:
                server.server_close()  # the child process listens in its place
                passed = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--reload"]
                _supervise(passed, store.endpoint)
            else:
                serve(options, store.endpoint, local, server)
        finally:
            store.stop()
            sys.stderr.write("stopped\n")
    return 0


def serve_child(argv: Sequence[str]) -> int:
    """``python -m xtasks_local serve …``: the process _supervise restarts on code changes."""
    options = parse_options(argv)
    assert options.dynamodb_endpoint is not None
    try:
        server = listen(options.port, options.read_timeout)
    except PortUnavailable as error:
        sys.stderr.write(f"xtasks-local: {error}\n")
        return 1
    with _interruptible():
        serve(options, options.dynamodb_endpoint, server=server)
    return 0
