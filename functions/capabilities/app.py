"""GET /capabilities: statuses, step types, search terms, limits and cleanup delays of this deployment."""

from external_tasks.config import settings
from external_tasks.http import Reply, Request, endpoint, views
from external_tasks.search import SEARCH_TERMS


@endpoint()
def handler(request: Request) -> Reply:
    return Reply.ok(views.capabilities(settings().cleanup, SEARCH_TERMS))
