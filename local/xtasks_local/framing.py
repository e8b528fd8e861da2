"""HTTP/1.1 requests read as strictly as API Gateway's front end reads them (RFC 9112).

A request whose target, header section or body framing is malformed is answered 400, one whose body
stops arriving 408, one too large 413, before any function could see it: a body is handed on only when
every byte its framing announced has arrived. What is refused here is what RFC 9112 lets a server refuse
and what a proxy in front of API Gateway refuses (both Content-Length and Transfer-Encoding, a repeated
or non-numeric Content-Length, a chunk size that is not hexadecimal, a chunk without its CRLF, a body cut
short), so that no request is read two ways.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from typing import Protocol

MAX_LINE_BYTES = 4096  # a chunk-size line or a trailer field
MAX_TRAILER_FIELDS = 100
# RFC 9112: a method token, a target in visible ASCII (anything else percent-encoded), the version.
_REQUEST_LINE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [\x21-\x7e]+ HTTP/1\.[01]")
_CONTENT_LENGTH = re.compile(r"[0-9]+")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r\n")
_FIELD_VALUE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")  # no control characters but HTAB


class Reader(Protocol):
    """The connection's buffered reader."""

    def read(self, size: int, /) -> bytes: ...

    def readline(self, size: int, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Unreadable(Exception):
    """Why a request cannot be read, and the status that says so."""

    status: int
    message: str


def _bad(message: str) -> Unreadable:
    return Unreadable(400, message)


def check_head(request_line: str, headers: Message) -> None:
    """The request line (as sent, without its CRLF) and the header section, as http.server parsed them,
    are well-formed: http.server alone would take a vertical tab for a space, a line without a colon for
    the end of the headers, a folded line for part of a value."""
    if not _REQUEST_LINE.fullmatch(request_line):
        raise _bad(
            "Malformed request line: it must be `METHOD /target HTTP/1.1`, single spaces, the target in "
            "visible ASCII (percent-encode anything else)"
        )
    if headers.defects:  # a line that is not `name: value`, e.g. a space before the colon
        raise _bad("Malformed header section: every header line must be `Name: value`")
    for name, value in headers.items():
        if not _FIELD_VALUE.fullmatch(value):  # obs-fold (a continuation line) or a control character
            raise _bad(f"Header {name} holds a line break or a control character")


def read_body(stream: Reader, headers: Message, limit: int) -> bytes:
    """The body, exactly as its framing delimits it: the whole of it, or Unreadable.

    ``stream`` is the connection's reader, with a read timeout set on its socket.
    """
    lengths = headers.get_all("Content-Length") or []
    codings = headers.get_all("Transfer-Encoding") or []
    if lengths and codings:
        raise _bad("A request may not carry both Content-Length and Transfer-Encoding")
    try:
        if codings:
            if len(codings) > 1 or codings[0].strip().lower() != "chunked":
                raise _bad("Transfer-Encoding must be chunked, once")
            return _read_chunked(stream, limit)
        if not lengths:
            return b""
        if len(lengths) > 1:
            raise _bad("Content-Length must appear once")
        if not _CONTENT_LENGTH.fullmatch(lengths[0].strip()):
            raise _bad(f"Content-Length must be a number of bytes, not {lengths[0]!r}")
        return _read_exactly(stream, int(lengths[0]), limit)
    except TimeoutError:
        raise Unreadable(408, "Request Timeout: the body stopped arriving") from None
    except ConnectionError:
        raise _bad("The connection was reset before the body arrived") from None


def _too_long() -> Unreadable:
    return Unreadable(413, "Request Too Long")


def _read_exactly(stream: Reader, length: int, limit: int) -> bytes:
    if length > limit:
        raise _too_long()
    data = stream.read(length) if length else b""
    if len(data) < length:
        raise _bad(f"The connection closed after {len(data)} of the {length} bytes announced")
    return data


def _line(stream: Reader, what: str) -> bytes:
    line = stream.readline(MAX_LINE_BYTES + 1)
    if not line.endswith(b"\n"):
        if len(line) > MAX_LINE_BYTES:
            raise _bad(f"The {what} line is longer than {MAX_LINE_BYTES} bytes")
        raise _bad(f"The connection closed before the chunked body's {what}")
    if not line.endswith(b"\r\n"):
        raise _bad(f"The {what} line must end with CRLF")
    return line


def _read_chunked(stream: Reader, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        line = _line(stream, "chunk size")
        size = _CHUNK_SIZE.fullmatch(line)
        if size is None:
            raise _bad("Invalid chunk size line: a hexadecimal size, then CRLF")
        length = int(size[1], 16)
        if length == 0:
            break
        total += length
        if total > limit:
            raise _too_long()
        data = stream.read(length)
        if len(data) < length:
            raise _bad("The connection closed inside a chunk")
        if stream.read(2) != b"\r\n":
            raise _bad("A chunk's data must end with CRLF")
        chunks.append(data)
    for _ in range(MAX_TRAILER_FIELDS + 1):
        if _line(stream, "trailer") == b"\r\n":
            return b"".join(chunks)
    raise _bad(f"More than {MAX_TRAILER_FIELDS} trailer fields")
