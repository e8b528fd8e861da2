"""Makes a handler of ``Request -> Reply`` into an API Gateway proxy Lambda handler.

Every reply, fault or not, is rendered in the format the client accepts and carries the correlation id;
every error is answered by http.faults; metrics counted during the request are published at its end. The
settings are checked at the cold start, and every log line of a request carries Lambda's context, its
correlation id, the job it names and its caller.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from typing import Any

from external_tasks import config, observability, rules
from external_tasks.errors import Misconfigured, ServiceError
from external_tasks.http import cors, faults, views
from external_tasks.http.reply import Reply
from external_tasks.http.representation import to_json, to_xml
from external_tasks.http.request import Request
from external_tasks.model import is_id

_MALFORMED_EVENT = {
    "statusCode": 500,
    "headers": {"Content-Type": "application/json"},
    "body": '{"reason":"Internal Server Error","detail":"The request event could not be read"}',
    "isBase64Encoded": False,
}

_READS = ("GET", "HEAD")  # every other method creates or ends something (rule 7)

type Handler = Callable[[Request], Reply]
type LambdaHandler = Callable[[Mapping[str, Any], Any], dict[str, Any]]


def endpoint(*, action: bool = False) -> Callable[[Handler], LambdaHandler]:
    """``action``: the route is an action (end, clear), whose faults oVirt wraps in ``<action>``."""

    def wrap(handle: Handler) -> LambdaHandler:
        def lambda_handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
            request = Request(event, context)
            observability.invocation(context, lambda: _log_keys(request))
            error: Exception | None = None
            try:
                caller = request.caller  # every route needs a verified caller (rule 7)
                if request.method not in _READS:
                    rules.check_may_write(caller)
                with views.rooted_at(request.api_root):
                    reply = handle(request)
            except ServiceError as failure:
                reply, error = faults.reply_for(failure, action=action), failure
            except Exception as failure:
                reply, error = faults.internal_error(action=action), failure
            finally:
                observability.flush_metrics()
            try:
                _log(request, reply, error)
                return _response(request, reply)
            except Exception:  # an event API Gateway would never send; answered all the same
                observability.logger().exception("malformed event")
                return _MALFORMED_EVENT

        lambda_handler.__doc__ = handle.__doc__
        config.check_at_start()
        if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
            _load_for_snapshot()
        return lambda_handler

    return wrap


def _load_for_snapshot() -> None:
    """With SnapStart, whatever the init phase loads is in the snapshot every cold start resumes from, so
    load now what a request would otherwise load on first use (the SnapStart parameter of template.yaml)."""
    import external_tasks.requests  # noqa: F401 - pydantic and the request models
    from external_tasks.store.calls import client

    client()
    observability.logger()
    observability.metrics()


def _log_keys(request: Request) -> dict[str, str]:
    """What every log line of the request carries besides Lambda's context; the job as the path names it."""
    keys = {"correlation_id": request.correlation_id}
    job_id = str((request.event.get("pathParameters") or {}).get("job_id", ""))
    if is_id(job_id):
        keys["job_id"] = job_id.lower()
    arn = ((request.event.get("requestContext") or {}).get("identity") or {}).get("userArn")
    if arn:  # the session too, not only the role that owns the job
        keys["caller"] = str(arn)
    else:
        with contextlib.suppress(ServiceError):  # no identity: the request is refused, its log line says so
            keys["caller"] = request.caller.principal
    return keys


def _log(request: Request, reply: Reply, error: Exception | None) -> None:
    """Changes and failures are logged; successful reads are not (API Gateway's access log has them)."""
    method = request.method
    if method == "GET" and error is None:
        return
    log = observability.logger()
    fields = {"method": method, "path": request.event.get("path"), "status": reply.status}
    added = reply.headers.get("Location", "")  # a job or step just added
    if added.startswith(views.job_href("")):
        fields["job_id"] = added.removeprefix(views.job_href("")).split("/")[0]
    if reply.status == 500:
        log.exception("request failed", extra=fields, exc_info=error)
    elif isinstance(error, Misconfigured):
        log.error("invalid configuration", extra={**fields, "problems": error.problems})
    elif reply.status >= 500:
        log.warning("store unavailable", extra={**fields, "detail": getattr(error, "detail", "")})
    elif error is not None:
        log.info("request refused", extra={**fields, "detail": getattr(error, "detail", "")})
    else:
        log.info("request done", extra=fields)


def _response(request: Request, reply: Reply) -> dict[str, Any]:
    headers = {"Correlation-Id": request.correlation_id, **cors.headers(), **reply.headers}
    if "Location" in headers:
        headers["Location"] = request.absolute(headers["Location"])
    body = ""
    if reply.document is not None:
        if request.wants_xml:
            headers["Content-Type"] = "application/xml; charset=utf-8"
            body = to_xml(reply.document)
        else:
            headers["Content-Type"] = "application/json"
            body = to_json(reply.document)
        following = views.next_href(reply.document)
        if following is not None:
            headers["Link"] = f'<{request.absolute(following)}>; rel="next"'
    return {"statusCode": reply.status, "headers": headers, "body": body, "isBase64Encoded": False}
