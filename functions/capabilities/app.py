"""GET /capabilities: statuses, step types, search terms, limits, cleanup delays and monitored commands of
this deployment."""

from external_tasks.config import settings
from external_tasks.http import Reply, Request, endpoint, views
from external_tasks.search import SEARCH_TERMS


@endpoint()
def handler(request: Request) -> Reply:
    config = settings()
    return Reply.ok(views.capabilities(config.cleanup, SEARCH_TERMS, config.monitored_state_machines))
