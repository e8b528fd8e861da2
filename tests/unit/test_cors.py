"""Replies let the deployed web task monitor's origin, and no other, read them (MONITOR_DOMAIN)."""

from __future__ import annotations

import pytest

from external_tasks.http import Reply, Request, endpoint
from xtasks_local.events import Identity, proxy_event
from xtasks_local.template import Template


@endpoint()
def _handle(request: Request) -> Reply:
    return Reply(204)


def _reply_headers() -> dict[str, str]:
    event = proxy_event(
        method="GET", resource="/jobs", path="/jobs", identity=Identity("arn:aws:iam::1:user/u")
    )
    headers: dict[str, str] = _handle(event, None)["headers"]
    return headers


def test_the_monitor_origin_may_read_every_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_DOMAIN", "d111111abcdef8.cloudfront.net")
    headers = _reply_headers()
    assert headers["Access-Control-Allow-Origin"] == "https://d111111abcdef8.cloudfront.net"
    assert headers["Access-Control-Expose-Headers"] == "Correlation-Id, Link, Location"


def test_without_a_monitor_domain_no_origin_may(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_DOMAIN", "")
    assert not any(name.startswith("Access-Control-") for name in _reply_headers())


def test_the_template_gives_the_distribution_domain_and_locally_none() -> None:
    template = Template()
    variables = template.function_globals["Environment"]["Variables"]
    assert variables["MONITOR_DOMAIN"] == {"Fn::GetAtt": ["MonitorDistribution", "DomainName"]}
    assert template.environment({"JobsTable": "t", "PageTokenSecret": "s"})["MONITOR_DOMAIN"] == ""
