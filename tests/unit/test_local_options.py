"""The local server's settings (issue 10): a value set but not valid stops it in one line, before it starts
anything; a mistyped AUTH never turns signature checks off; a busy port is said at once."""

from __future__ import annotations

import socket

import pytest

from xtasks_local import server, storage
from xtasks_local.options import DEFAULT_PORT, DEFAULT_READ_TIMEOUT, parse_options

SETTINGS = ("PORT", "AUTH", "REGION", "DYNAMODB_ENDPOINT", "RELOAD", "PARAMETERS", "READ_TIMEOUT")


def _refusal(capsys: pytest.CaptureFixture[str], argv: list[str], environ: dict[str, str]) -> str:
    """The one line parse_options exits with (status 2)."""
    with pytest.raises(SystemExit) as exited:
        parse_options(argv, environ)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    return line


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        pytest.param([], {}, id="unset"),
        pytest.param([], {"AUTH": ""}, id="AUTH empty, as make run passes it unset"),
        pytest.param([], {"AUTH": "   "}, id="AUTH blank"),
        pytest.param(["--auth", ""], {"AUTH": "none"}, id="--auth empty"),
        pytest.param([], {"AUTH": "sigv4"}, id="AUTH=sigv4"),
        pytest.param(["--auth", "sigv4"], {"AUTH": "none"}, id="--auth sigv4 over AUTH=none"),
    ],
)
def test_signatures_are_checked_unless_auth_is_exactly_none(argv: list[str], environ: dict[str, str]) -> None:
    assert parse_options(argv, environ).auth == "sigv4"


@pytest.mark.parametrize(
    ("argv", "environ"),
    [([], {"AUTH": "none"}), (["--auth", "none"], {}), (["--auth", "none"], {"AUTH": "x"})],
)
def test_auth_none_turns_the_checks_off(argv: list[str], environ: dict[str, str]) -> None:
    assert parse_options(argv, environ).auth == "none"


@pytest.mark.parametrize(
    "value", ["sigV4", "SIGV4", "Sigv4", "None", "NONE", "off", "false", "0", "no", " none"]
)
@pytest.mark.parametrize("source", ["environment", "option"])
def test_any_other_auth_is_refused_in_one_line_naming_both_values(
    capsys: pytest.CaptureFixture[str], value: str, source: str
) -> None:
    argv, environ = (["--auth", value], {}) if source == "option" else ([], {"AUTH": value})
    line = _refusal(capsys, argv, environ)
    assert repr(value) in line
    assert "sigv4" in line
    assert "none" in line


@pytest.mark.parametrize("value", ["abc", "0", "65536", "-1", "3000.0", "3_000", " 3000", "٣٠٠٠"])
def test_a_port_that_is_no_port_number_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    assert "PORT must be a TCP port number" in _refusal(capsys, [], {"PORT": value})
    assert "PORT must be a TCP port number" in _refusal(capsys, ["--port", value], {})


def test_the_port_defaults_to_3000_and_reads_port() -> None:
    assert parse_options([], {}).port == DEFAULT_PORT
    assert parse_options([], {"PORT": "8123"}).port == 8123
    assert parse_options(["--port", "65535"], {"PORT": "8123"}).port == 65535


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon", "3600"])
def test_a_read_timeout_that_is_no_positive_number_is_refused(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    assert "READ_TIMEOUT" in _refusal(capsys, [], {"READ_TIMEOUT": value})


def test_the_read_timeout_defaults_to_twenty_seconds() -> None:
    assert parse_options([], {}).read_timeout == DEFAULT_READ_TIMEOUT == 20
    assert parse_options(["--read-timeout", "0.5"], {}).read_timeout == 0.5


@pytest.fixture
def nothing_may_start(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """run() with none of the local server's settings in the environment, and storage.start recorded
    instead of run: what the test asserts is that run() never got that far."""
    started: list[str] = []
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(storage, "start", lambda *arguments, **keywords: started.append("storage"))
    return started


def test_a_mistyped_auth_stops_run_before_the_storage_starts(
    nothing_may_start: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTH", "sigV4")
    with pytest.raises(SystemExit) as exited:
        server.run(["--port", str(storage.free_port())])
    assert exited.value.code == 2
    assert nothing_may_start == []
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_a_busy_port_stops_run_in_one_line_before_the_storage_starts(
    nothing_may_start: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert server.run(["--port", str(port)]) == 1
    assert nothing_may_start == []
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        f"xtasks-local: port {port} on 127.0.0.1 is already in use: stop what listens there, or choose "
        "another port (PORT= or --port)"
    )


def test_a_port_another_server_listens_on_is_never_shared() -> None:
    """SO_REUSEADDR lets a port in TIME_WAIT be bound again, never one a server holds; no SO_REUSEPORT."""
    first = server.listen(storage.free_port())
    try:
        with pytest.raises(server.PortUnavailable, match="already in use"):
            server.listen(first.server_address[1])
    finally:
        first.server_close()
