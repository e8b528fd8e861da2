"""An API Gateway REST proxy event, read as the request it carries."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from external_tasks import limits, patterns, rules
from external_tasks.errors import BodyTooLarge, Forbidden, Invalid, NotFound
from external_tasks.http import bodies
from external_tasks.model import Caller, is_id

if TYPE_CHECKING:
    from external_tasks.requests import Body

_NOT_CORRELATION_ID = re.compile(f"[^{limits.CORRELATION_ID_CHARACTERS}]")
_IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?")
# What page_size and follow_steps accept, for openapi/openapi.json (tests/unit/test_patterns.py holds them to
# the code): max, 1 to 1000 in at most four ASCII digits; follow, "steps" in any case, maybe repeated.
PAGE_SIZE_PATTERN = patterns.padded(
    "(?:0{0,3}[1-9]|0{0,2}[1-9][0-9]|0?[1-9][0-9]{2}|1000)", patterns.WHITESPACE
)
_STEPS = f"{patterns.WHITESPACE}*{patterns.any_case('steps')}{patterns.WHITESPACE}*"
FOLLOW_PATTERN = f"^{_STEPS}(?:,{_STEPS})*$"
_STAGE = re.compile(r"[A-Za-z0-9_-]{1,128}")
_GROUP_SEPARATORS = re.compile(r"[,\s]+")
_XML_TYPES = ("application/xml", "text/xml")
_JSON_TYPES = ("application/json", "text/json")


class Request:
    def __init__(self, event: Mapping[str, Any], context: Any = None) -> None:
        self.event = event
        self.context = context  # Lambda's, for the time a request has left

    @cached_property
    def headers(self) -> dict[str, str]:
        """Header names in lower case; for a repeated header, its last value (as API Gateway does)."""
        return {name.lower(): value for name, value in (self.event.get("headers") or {}).items()}

    @cached_property
    def query(self) -> dict[str, str]:
        return dict(self.event.get("queryStringParameters") or {})

    def parameters(self, *names: str) -> dict[str, str | None]:
        """Some query parameters as given, to repeat them in a next page's address."""
        return {name: self.query.get(name) for name in names}

    def _path_id(self, name: str, noun: str) -> str:
        value = str((self.event.get("pathParameters") or {}).get(name, ""))
        if not is_id(value):
            raise NotFound(f"{noun} {value!r} not found: {noun.lower()} ids are UUIDs")
        return value.lower()

    @property
    def job_id(self) -> str:
        return self._path_id("job_id", "Job")

    @property
    def step_id(self) -> str:
        return self._path_id("step_id", "Step")

    @property
    def method(self) -> str:
        return str(self.event.get("httpMethod") or "")

    @cached_property
    def caller(self) -> Caller:
        """Who API Gateway verified (rule 7): on oVirt's path, the user whose ID token its Cognito authorizer
        checked (the token's claims); on the IAM path, the IAM principal whose signature it checked."""
        context = self.event.get("requestContext") or {}
        claims = (context.get("authorizer") or {}).get("claims")
        if claims:
            user_name = claims.get("cognito:username")
            if not user_name:
                raise Forbidden("The sign-in token names no user (cognito:username)")
            return rules.user_caller(str(user_name), _groups(claims.get("cognito:groups")))
        arn = (context.get("identity") or {}).get("userArn")
        if not arn:
            raise Forbidden("The request carries no IAM identity: sign it with AWS Signature Version 4")
        return Caller(rules.owner_of(arn))

    @cached_property
    def api_root(self) -> str:
        """The path of the API root the request came in on, for the hrefs of its reply: ``/api`` on the IAM
        API (stage ``api``, routes at its root), ``/ovirt-engine/api`` on oVirt's path (stage
        ``ovirt-engine``, routes under ``/api``, as oVirt's own)."""
        stage = str((self.event.get("requestContext") or {}).get("stage") or "")
        if not _STAGE.fullmatch(stage):
            stage = "api"
        resource = str(self.event.get("resource") or "")
        return f"/{stage}/api" if resource == "/api" or resource.startswith("/api/") else f"/{stage}"

    @cached_property
    def correlation_id(self) -> str:
        """From ``Correlation-Id`` or ``correlation_id``, sanitised; generated when absent (docs/api.md: Jobs
        and steps)."""
        given = self.headers.get("correlation-id") or self.query.get("correlation_id") or ""
        cleaned = _NOT_CORRELATION_ID.sub("", given)[: limits.MAX_CORRELATION_ID_LENGTH]
        return cleaned or uuid.uuid4().hex

    @cached_property
    def idempotency_key(self) -> str | None:
        """``Idempotency-Key``: 1 to 255 printable ASCII characters, or absent."""
        key = self.headers.get("idempotency-key")
        if key is None:
            return None
        if not _IDEMPOTENCY_KEY.fullmatch(key):
            raise Invalid("Idempotency-Key must be 1 to 255 printable ASCII characters")
        return key

    @cached_property
    def raw_body(self) -> bytes:
        body = self.event.get("body") or ""
        if self.event.get("isBase64Encoded"):
            try:
                raw = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise Invalid("the body is not valid base64") from None
        else:
            raw = body.encode("utf-8", "surrogatepass")
        if len(raw) > limits.MAX_BODY_BYTES:
            raise BodyTooLarge(
                f"The body is {len(raw)} bytes, more than the {limits.MAX_BODY_BYTES} accepted"
            )
        return raw

    def body[B: Body](self, model: type[B], root: str) -> B:
        """The body as ``model``; ``root`` is the XML element it comes in (``job``, ``step``, ``action``)."""
        return model.parse(bodies.decode(self.raw_body, self.headers.get("content-type"), root))

    @cached_property
    def wants_xml(self) -> bool:
        """XML when ``Accept`` prefers it to JSON, a type named outranking a wildcard; JSON when it is absent,
        ``*/*`` or a tie."""
        best = {"json": -1.0, "xml": -1.0, "any": -1.0}
        for part in (self.headers.get("accept") or "").split(","):
            mime, *parameters = part.split(";")
            mime = mime.strip().lower()
            quality = 1.0
            for parameter in parameters:
                name, _, value = parameter.partition("=")
                if name.strip().lower() == "q":
                    try:
                        quality = float(value)
                    except ValueError:
                        quality = 0.0
            if mime in _XML_TYPES or mime.endswith("+xml"):
                best["xml"] = max(best["xml"], quality)
            elif mime in _JSON_TYPES or mime.endswith("+json"):
                best["json"] = max(best["json"], quality)
            elif mime in ("*/*", "application/*"):
                best["any"] = max(best["any"], quality)
        if best["xml"] <= 0:
            return False
        if best["json"] >= 0:  # both named: XML only if preferred
            return best["xml"] > best["json"]
        return best["xml"] >= best["any"]  # XML named, JSON only through a wildcard

    @property
    def page_size(self) -> int:
        """``max``: 1 to 1000; absent, every item up to what fits in one reply (docs/rules.md: Listing)."""
        raw = self.query.get("max")
        if raw is None:
            return limits.DEFAULT_PAGE_SIZE
        text = raw.strip()
        if not (
            text.isascii() and text.isdigit() and len(text) <= 4 and 1 <= int(text) <= limits.MAX_PAGE_SIZE
        ):
            raise Invalid(f"max must be an integer from 1 to {limits.MAX_PAGE_SIZE}, not {raw[:20]!r}")
        return int(text)

    @property
    def page(self) -> str | None:
        return self.query.get("page")

    @property
    def follow_steps(self) -> bool:
        follow = self.query.get("follow")
        if follow is None:
            return False
        if {part.strip().lower() for part in follow.split(",")} != {"steps"}:
            raise Invalid(f"follow supports only 'steps', not {follow[:40]!r}")
        return True

    def absolute(self, href: str) -> str:
        """``href`` as an absolute URL on the host the client called, for ``Location`` and ``Link``; relative
        when the Host header is not a plain host name (nothing a client sends reaches a reply's headers)."""
        host = self.headers.get("host") or (self.event.get("requestContext") or {}).get("domainName") or ""
        if not _HOST.fullmatch(host):
            return href
        scheme = self.headers.get("x-forwarded-proto", "https").split(",")[0].strip().lower()
        return f"{scheme if scheme in ('http', 'https') else 'https'}://{host}{href}"


def _groups(claim: object) -> list[str]:
    """``cognito:groups`` as API Gateway passes it on: a REST API renders a claim's list as text, its items
    separated by commas (or, in brackets, by spaces); a list is taken as it is."""
    if isinstance(claim, list):
        return [str(group) for group in claim]
    if not isinstance(claim, str):
        return []
    return [group for group in _GROUP_SEPARATORS.split(claim.strip().strip("[]")) if group]
