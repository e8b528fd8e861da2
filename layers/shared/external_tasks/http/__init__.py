"""HTTP at the API Gateway proxy boundary: requests, formats, replies, faults."""

from external_tasks.http.endpoint import endpoint
from external_tasks.http.reply import Reply
from external_tasks.http.request import Request

__all__ = ["Reply", "Request", "endpoint"]
