"""Calls to the local API over HTTP, signed with botocore's SigV4 signer as a plug-in's SDK signs them."""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support import wire
from tests.support.api import Response


def encode_query(query: Sequence[tuple[str, str]]) -> str:
    """RFC 3986 encoding, as SigV4 canonicalises a query (``%20``, not ``+``)."""
    return "&".join(f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}" for name, value in query)


@dataclass
class Key:
    access_key_id: str
    secret_access_key: str


@dataclass
class LocalApi:
    """A running local server, and how to call it."""

    port: int
    region: str
    keys: dict[str, Key]  # profile -> key
    format: str = "json"
    state: Path | None = None  # where the server keeps its credentials file

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base(self) -> str:
        return f"http://{self.host}/api"

    def send(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | bytes | None = None,
        root: str = "job",
        query: Sequence[tuple[str, str]] = (),
        headers: Sequence[tuple[str, str]] = (),
        profile: str | None = "writer",
        format: str | None = None,
        signed_at: datetime | None = None,
        sign_host: str | None = None,
        sent_host: str | None = None,
        sign_region: str | None = None,
        sign_service: str = "execute-api",
        sign_secret: str | None = None,
        sent_body: bytes | None = None,
        sent_query: str | None = None,
    ) -> Response:
        """One request. ``profile`` None sends it unsigned; the ``sign_*`` and ``sent_*`` arguments sign one
        request and send another (another host, region, service, secret, time, body, query or Host)."""
        fmt = format or self.format
        xml = fmt == "xml"
        all_headers = [("Accept", f"application/{fmt}")]
        raw: bytes | None
        if isinstance(body, Mapping):
            raw = wire.xml_body(root, dict(body)) if xml else json.dumps(body).encode()
            all_headers.append(("Content-Type", f"application/{fmt}"))
        else:
            raw = body
        all_headers += headers
        target = "/api" + path.removeprefix("/api")
        query_string = encode_query(query)
        if query_string:
            target += "?" + query_string
        if profile is not None:
            key = self.keys[profile]
            signing = AWSRequest(
                method=method,
                url=f"http://{sign_host or self.host}{target}",
                data=raw or b"",
                headers=dict(all_headers),
            )
            credentials = Credentials(key.access_key_id, sign_secret or key.secret_access_key)
            signer = SigV4Auth(credentials, sign_service, sign_region or self.region)
            if signed_at is None:
                signer.add_auth(signing)
            else:
                with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
                    signer.add_auth(signing)
            all_headers = [(name, value) for name, value in signing.headers.items() if name.lower() != "host"]
        if sent_query is not None:
            target = target.partition("?")[0] + ("?" + sent_query if sent_query else "")
        connection = http.client.HTTPConnection(self.host, timeout=30)
        try:
            payload = sent_body if sent_body is not None else raw
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", sent_host or self.host)
            for name, value in all_headers:
                connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(payload or b"")))
            connection.endheaders(payload or None)
            reply = connection.getresponse()
            data = reply.read()
            reply_headers = {name: value for name, value in reply.getheaders()}
        finally:
            connection.close()
        content_type = reply_headers.get("Content-Type", "")
        return Response(reply.status, reply_headers, data.decode("utf-8"), "xml" in content_type)
