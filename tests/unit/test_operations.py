"""template.yaml can be operated: every function, API, stream function, queue and the table is alarmed, every
stream or event-driven function has bounded retries and somewhere to put what still fails, and the alarms and
the dashboard refer only to what the template deploys (docs/operations.md is the runbook for these alarms).

A function, API or queue added without its line in the Operations block of template.yaml fails here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from xtasks_local.template import ROOT, Template

PSEUDO_PARAMETERS = {"AWS::StackName", "AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"}
STREAMS = {"DynamoDB", "Kinesis"}
# Invoked asynchronously: Lambda retries, then sends the event to the function's on-failure destination.
ASYNCHRONOUS = {"Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent", "SNS", "S3", "IoTRule"}
# Their own delivery (the scheduler's or the rule's) retries too, then uses the event's dead-letter queue.
DELIVERED = {"Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent"}
MOST_STREAM_RETRIES = 100  # bounded: -1 (the default) retries until the record expires
MOST_ASYNC_RETRIES = 2
# EventBridge's own retries of a delivery that could not invoke the function at all (throttled): bounded, but
# more of them, since a lost execution-ended event would leave its step started.
MOST_DELIVERY_RETRIES = 10
_SUBSTITUTION = re.compile(r"\$\{(?!!)([^}]+)\}")
_COUNTED = re.compile(r"""observability\.count\(\s*"(\w+)\"""")


@pytest.fixture(scope="module")
def t() -> Template:
    return Template()


def _alarms(t: Template) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in t.of_type("AWS::CloudWatch::Alarm").items()}


def _alarm_on(t: Template, namespace: str, metric: str, dimension: str, value: Any) -> dict[str, Any] | None:
    for alarm in _alarms(t).values():
        dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
        watched = (alarm.get("Namespace"), alarm.get("MetricName"), dimensions)
        if watched == (namespace, metric, {dimension: value}):
            return alarm
    return None


def _references(node: Any) -> Iterator[str]:
    """The names an intrinsic value refers to (Ref, Fn::GetAtt, Fn::Sub); an attribute as ``Name.Attr``."""
    if isinstance(node, list):
        for element in node:
            yield from _references(element)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt":
                yield f"{value[0]}.{value[1]}"
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                yield from (name for name in _SUBSTITUTION.findall(text) if name not in variables)
                yield from _references(variables)
            else:
                yield from _references(value)


def _unknown(t: Template, node: Any) -> set[str]:
    known = set(t.resources) | set(t.document.get("Parameters", {})) | PSEUDO_PARAMETERS
    return {name for name in _references(node) if name.split(".")[0] not in known}


def _queue_of(t: Template, destination: Any) -> str:
    """The template queue an ``!GetAtt Queue.Arn`` names (failing otherwise)."""
    assert isinstance(destination, dict), destination
    assert "Fn::GetAtt" in destination, destination
    name, attribute = destination["Fn::GetAtt"]
    assert attribute == "Arn"
    assert t.resources[name]["Type"] == "AWS::SQS::Queue", name
    return str(name)


def test_every_function_has_an_errors_and_a_throttles_alarm(t: Template) -> None:
    for name in t.of_type("AWS::Serverless::Function"):
        for metric in ("Errors", "Throttles"):
            alarm = _alarm_on(t, "AWS/Lambda", metric, "FunctionName", {"Ref": name})
            assert alarm is not None, f"{name} has no {metric} alarm (Fn::ForEach::FunctionAlarms)"
            assert alarm["Statistic"] == "Sum"
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_every_api_has_a_5xx_rate_and_a_p99_latency_alarm_on_its_own_name(t: Template) -> None:
    """API Gateway's metrics name a REST API by its Name: each API's is the stack's and its own."""
    for name, api in t.of_type("AWS::Serverless::Api").items():
        api_name = {"Fn::Sub": f"${{AWS::StackName}}-{name}"}
        assert api["Properties"].get("Name") == api_name, name
        errors = _alarm_on(t, "AWS/ApiGateway", "5XXError", "ApiName", api_name)
        assert errors is not None, f"{name} has no 5XX alarm (template.yaml: Fn::ForEach::ApiAlarms)"
        assert errors["Statistic"] == "Average"  # a rate: 5XXError is 0 or 1 per request
        assert 0 < errors["Threshold"] < 1
        latency = _alarm_on(t, "AWS/ApiGateway", "Latency", "ApiName", api_name)
        assert latency is not None, f"{name} has no latency alarm (template.yaml: Fn::ForEach::ApiAlarms)"
        assert latency["ExtendedStatistic"] == "p99"


def _events(t: Template) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for name, function in t.of_type("AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            yield name, function["Properties"], event


def test_every_stream_function_has_an_iterator_age_alarm(t: Template) -> None:
    for name, _, event in _events(t):
        if event["Type"] in STREAMS:
            alarm = _alarm_on(t, "AWS/Lambda", "IteratorAge", "FunctionName", {"Ref": name})
            assert alarm is not None, f"{name} has no iterator age alarm (Fn::ForEach::StreamAlarms)"
            assert alarm["Statistic"] == "Maximum"


def test_every_stream_function_bisects_retries_a_bounded_number_of_times_then_records_the_failure(
    t: Template,
) -> None:
    for name, _, event in _events(t):
        if event["Type"] not in STREAMS:
            continue
        properties = event["Properties"]
        assert 0 <= properties["MaximumRetryAttempts"] <= MOST_STREAM_RETRIES, name
        assert properties["BisectBatchOnFunctionError"] is True, name
        assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
        on_failure = properties["DestinationConfig"]["OnFailure"]
        assert on_failure["Type"] == "SQS", name  # SAM then lets the function send to it
        _queue_of(t, on_failure["Destination"])


def test_every_event_driven_function_retries_a_bounded_number_of_times_then_records_the_failure(
    t: Template,
) -> None:
    for name, function, event in _events(t):
        kind = event["Type"]
        if kind in STREAMS or kind == "Api":
            continue
        if kind == "SQS":
            source = t.resources[event["Properties"]["Queue"]["Fn::GetAtt"][0]]["Properties"]
            assert 0 < source["RedrivePolicy"]["maxReceiveCount"] <= 10, name
            _queue_of(t, source["RedrivePolicy"]["deadLetterTargetArn"])
            continue
        assert kind in ASYNCHRONOUS, f"{name}: how does a {kind} event retry and fail? (add it here)"
        invoke = function["EventInvokeConfig"]
        assert 0 <= invoke["MaximumRetryAttempts"] <= MOST_ASYNC_RETRIES, name
        assert invoke["DestinationConfig"]["OnFailure"]["Type"] == "SQS", name
        _queue_of(t, invoke["DestinationConfig"]["OnFailure"]["Destination"])
        if kind in DELIVERED:
            assert event["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] <= MOST_DELIVERY_RETRIES, name
            _queue_of(t, event["Properties"]["DeadLetterConfig"]["Arn"])


def test_every_queue_is_encrypted_and_has_a_depth_alarm(t: Template) -> None:
    for name, queue in t.of_type("AWS::SQS::Queue").items():
        properties = queue["Properties"]
        assert properties.get("KmsMasterKeyId") or properties.get("SqsManagedSseEnabled"), name
        depth = ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")
        alarm = _alarm_on(t, *depth, {"Fn::GetAtt": [name, "QueueName"]})
        assert alarm is not None, f"{name} has no depth alarm (template.yaml: Fn::ForEach::QueueAlarms)"
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


@pytest.mark.parametrize("metric", ["ReadThrottleEvents", "WriteThrottleEvents"])
def test_the_table_and_every_global_index_are_alarmed_on_throttling(t: Template, metric: str) -> None:
    indexes = {index["IndexName"] for index in t.table_properties().get("GlobalSecondaryIndexes", [])}
    for alarm in _alarms(t).values():
        watched = [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]
        if watched and all(m["MetricName"] == metric for m in watched):
            break
    else:
        pytest.fail(f"no {metric} alarm on the table")
    total = alarm["Metrics"][0]
    assert (total["Expression"], total["ReturnData"]) == ("SUM(METRICS())", True)
    covered = set()
    for watched_metric in watched:
        dimensions = {d["Name"]: d["Value"] for d in watched_metric["Dimensions"]}
        assert dimensions.pop("TableName") == {"Ref": "JobsTable"}
        covered.add(dimensions.get("GlobalSecondaryIndexName", "(table)"))
    assert covered == indexes | {"(table)"}


def test_every_alarm_refers_to_real_resources_and_notifies_the_alarm_topic(t: Template) -> None:
    names = set()
    for logical_id, alarm in _alarms(t).items():
        assert _unknown(t, alarm) == set(), logical_id
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert alarm["TreatMissingData"] == "notBreaching", logical_id
        name = alarm["AlarmName"]["Fn::Sub"]
        assert name.startswith("${AWS::StackName}-"), logical_id
        names.add(name)
        assert "docs/operations.md" in json.dumps(alarm["AlarmDescription"]), logical_id
    assert len(names) == len(_alarms(t))


def test_every_alarm_has_its_entry_in_the_runbook(t: Template) -> None:
    """docs/operations.md: each alarm by name, what it means, what to look at, what to do."""
    runbook = (ROOT / "docs" / "operations.md").read_text()
    for logical_id, alarm in _alarms(t).items():
        section = re.search(r"\(docs/operations\.md: ([^)]+)\)", json.dumps(alarm["AlarmDescription"]))
        assert section is not None, logical_id
        assert f"### {section.group(1)}" in runbook, logical_id
        suffix = alarm["AlarmName"]["Fn::Sub"].rsplit("-", 1)[1]
        assert f"-{suffix}`" in runbook, logical_id


def test_the_alarm_topic_is_encrypted_and_an_e_mail_subscription_is_optional(t: Template) -> None:
    topic = t.resources["AlarmTopic"]["Properties"]
    key = t.resources[topic["KmsMasterKeyId"]["Ref"]]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert any(s["Principal"] == {"Service": "cloudwatch.amazonaws.com"} for s in statements)
    assert t.document["Parameters"]["AlarmEmail"]["Default"] == ""
    subscription = t.resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def _dashboard(t: Template) -> tuple[str, list[dict[str, Any]]]:
    (dashboard,) = t.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    document = json.loads(_SUBSTITUTION.sub(lambda m: f"<{m.group(1)}>", body))
    widgets: list[dict[str, Any]] = document["widgets"]
    return body, widgets


def _metrics(widget: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of each plain metric of a widget, substitutions as ``<Name>``."""
    for line in widget["properties"]["metrics"]:
        values = [value for value in line if not isinstance(value, dict)]
        if values:
            namespace, metric, *pairs = values
            yield namespace, metric, dict(zip(pairs[::2], pairs[1::2], strict=True))


def test_every_dashboard_widget_refers_to_real_resources(t: Template) -> None:
    body, widgets = _dashboard(t)
    assert _unknown(t, {"Fn::Sub": body}) == set()
    kinds = {
        "FunctionName": "AWS::Serverless::Function",
        "QueueName": "AWS::SQS::Queue",
        "TableName": "AWS::DynamoDB::Table",
    }
    apis = {f"<AWS::StackName>-{name}" for name in t.of_type("AWS::Serverless::Api")}
    for widget in widgets:
        assert widget["properties"]["region"] == "<AWS::Region>"
        assert widget["properties"]["metrics"], widget["properties"]["title"]
        for _, _, dimensions in _metrics(widget):
            for dimension, value in dimensions.items():
                if dimension in kinds:
                    resource = value.strip("<>").split(".")[0]
                    assert t.resources[resource]["Type"] == kinds[dimension], value
                elif dimension == "ApiName":
                    assert value in apis, value
        for line in widget["properties"]["metrics"]:
            for expression in (v["expression"] for v in line if isinstance(v, dict) and "expression" in v):
                assert "<AWS::StackName>" in expression or "<JobsTable>" in expression, expression


def test_the_dashboard_shows_requests_errors_and_latency_of_every_api(t: Template) -> None:
    _, widgets = _dashboard(t)
    shown = {(m, d.get("ApiName")) for w in widgets for n, m, d in _metrics(w) if n == "AWS/ApiGateway"}
    for name in t.of_type("AWS::Serverless::Api"):
        for metric in ("Count", "5XXError", "4XXError", "Latency"):
            assert (metric, f"<AWS::StackName>-{name}") in shown, (name, metric)


def test_the_dashboard_shows_every_business_event_the_code_counts(t: Template) -> None:
    """observability.count publishes through Powertools Metrics: the namespace of the template's environment,
    one dimension, ``service``."""
    environment = t.function_globals["Environment"]["Variables"]
    counted = set()
    for source in [*ROOT.glob("layers/shared/**/*.py"), *ROOT.glob("functions/*/app.py")]:
        counted |= set(_COUNTED.findall(source.read_text()))
    assert {"JobAdded", "JobEnded", "JobFailed", "StepAdded", "StepEnded"} <= counted
    _, widgets = _dashboard(t)
    shown = {
        metric
        for widget in widgets
        for namespace, metric, dimensions in _metrics(widget)
        if namespace == environment["POWERTOOLS_METRICS_NAMESPACE"]
        and dimensions == {"service": environment["POWERTOOLS_SERVICE_NAME"]}
    }
    assert counted <= shown
