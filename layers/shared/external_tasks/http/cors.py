"""The deployed web task monitor calls the API from its own origin (its CloudFront distribution, whose
domain template.yaml gives as ``MONITOR_DOMAIN``): every reply lets that origin read it, and no other.
Preflights and API Gateway's own error replies get the same header from the template. Empty (locally, where
the monitor shares the API's origin): no CORS header at all."""

from __future__ import annotations

import os

EXPOSED = "Correlation-Id, Link, Location"  # what the monitor may read besides the body


def headers() -> dict[str, str]:
    domain = os.environ.get("MONITOR_DOMAIN", "").strip()
    if not domain:
        return {}
    return {"Access-Control-Allow-Origin": f"https://{domain}", "Access-Control-Expose-Headers": EXPOSED}
