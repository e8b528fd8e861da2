"""GET / (``/api``, and ``/ovirt-engine/api`` on oVirt's path): oVirt's API root, what an oVirt SDK reads
first (``connection.test()``): links to jobs and capabilities, and ``product_info``."""

from external_tasks import clock
from external_tasks.http import Reply, Request, endpoint, views


@endpoint()
def handler(request: Request) -> Reply:
    return Reply.ok(views.api(clock.now_ms()))
