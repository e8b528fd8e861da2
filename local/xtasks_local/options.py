"""The local server's settings: from the command line, else the environment (``make run`` passes them
through), else their defaults. A value that is set but not valid stops the server before it starts
anything, in one line that names what would have been accepted: a mistyped ``AUTH`` must never turn
signature checks off.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from xtasks_local.template import ROOT

AUTH_MODES = ("sigv4", "none")  # exactly these words: no case folding, no synonyms
DEFAULT_PORT = 3000
DEFAULT_READ_TIMEOUT = 20.0  # seconds a request's next bytes may take to arrive before it is answered 408
_PORT = re.compile(r"[0-9]{1,5}")


@dataclass(frozen=True, slots=True)
class Options:
    port: int
    auth: str  # sigv4 | none
    region: str
    dynamodb_endpoint: str | None
    reload: bool
    parameters: dict[str, str]
    state_dir: Path
    read_timeout: float = DEFAULT_READ_TIMEOUT


class InvalidOption(ValueError):
    """A setting that is not valid, worded as the one line the server prints before exiting."""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _given(option: str | None, environ: Mapping[str, str], variable: str) -> tuple[str | None, str]:
    """The value set for a setting and how it was set (``--port 80`` or ``PORT=80``), or None: empty counts
    as unset, since ``make run`` exports every variable it passes through, set or not."""
    if option is not None:
        return (option or None), f"--{variable.lower().replace('_', '-')} {option!r}"
    value = environ.get(variable, "")
    return (value or None), f"{variable}={value!r}"


def _either(option: str | None, environ: Mapping[str, str], variable: str, default: str) -> str:
    return option if option is not None else environ.get(variable, default)


def auth_mode(value: str | None, said: str = "AUTH") -> str:
    """``sigv4`` (the default) or ``none``, exactly; anything else is refused."""
    if value is None:
        return AUTH_MODES[0]
    if value not in AUTH_MODES:
        raise InvalidOption(
            f"{said} is not valid: AUTH must be sigv4 (check signatures and permissions, the default) or "
            "none (no checks: every caller is the local administrator)"
        )
    return value


def port_number(value: str | None, said: str = "PORT") -> int:
    """A TCP port, 1 to 65535 (3000 when unset)."""
    if value is None:
        return DEFAULT_PORT
    if not _PORT.fullmatch(value) or not 1 <= int(value) <= 65535:
        raise InvalidOption(f"{said} is not valid: PORT must be a TCP port number, 1 to 65535")
    return int(value)


def seconds(value: str | None, said: str = "READ_TIMEOUT") -> float:
    """A read timeout: a positive number of seconds."""
    if value is None:
        return DEFAULT_READ_TIMEOUT
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < 3600:  # NaN fails too
        raise InvalidOption(f"{said} is not valid: READ_TIMEOUT must be a number of seconds, above 0")
    return number


def parameter_overrides(text: str) -> dict[str, str]:
    """``Name=Value Name=Value`` as ``sam deploy --parameter-overrides`` takes them."""
    pairs = {}
    for item in text.split():
        name, equals, value = item.partition("=")
        if not equals:
            raise InvalidOption(f"parameter override {item!r} is not Name=Value")
        pairs[name] = value
    return pairs


def _parser(description: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xtasks-local", description=description)
    parser.add_argument("--port", help=f"default {DEFAULT_PORT} ($PORT)")
    parser.add_argument(
        "--auth",
        metavar="{sigv4,none}",
        help="sigv4 (the default) checks signatures and permissions; none: every caller is the local "
        "administrator ($AUTH)",
    )
    parser.add_argument("--region", help="signing region, default us-east-1 ($REGION)")
    parser.add_argument(
        "--dynamodb-endpoint",
        help="use this DynamoDB instead of starting DynamoDB Local ($DYNAMODB_ENDPOINT)",
    )
    parser.add_argument("--reload", action="store_true", help="restart on code changes ($RELOAD)")
    parser.add_argument(
        "--parameter-overrides",
        help="template parameters, e.g. 'SucceededJobCleanupMinutes=0.1' ($PARAMETERS)",
    )
    parser.add_argument("--state-dir", help="where the local credentials are kept ($XTASKS_STATE_DIR)")
    parser.add_argument(
        "--read-timeout",
        help=f"seconds a request's next bytes may take before it is answered 408, default "
        f"{DEFAULT_READ_TIMEOUT:.0f} ($READ_TIMEOUT)",
    )
    return parser


def parse_options(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    description: str | None = None,
) -> Options:
    """The settings, or an exit (status 2) with one line on stderr saying which value is wrong."""
    parser = _parser(description)
    args = parser.parse_args(argv)
    env = {
        name: value for name, value in (os.environ if environ is None else environ).items() if value.strip()
    }
    try:
        port = port_number(*_given(args.port, env, "PORT"))
        auth = auth_mode(*_given(args.auth, env, "AUTH"))
        read_timeout = seconds(*_given(args.read_timeout, env, "READ_TIMEOUT"))
        parameters = parameter_overrides(_either(args.parameter_overrides, env, "PARAMETERS", ""))
    except InvalidOption as error:
        parser.exit(2, f"xtasks-local: {error}\n")
    return Options(
        port=port,
        auth=auth,
        region=_either(args.region, env, "REGION", "us-east-1"),
        dynamodb_endpoint=_either(args.dynamodb_endpoint, env, "DYNAMODB_ENDPOINT", "") or None,
        reload=args.reload or _truthy(env.get("RELOAD")),
        parameters=parameters,
        state_dir=Path(_either(args.state_dir, env, "XTASKS_STATE_DIR", str(ROOT / ".xtasks"))),
        read_timeout=read_timeout,
    )
