"""template.yaml keeps the promises the issue and docs/rules.md make about the deployed system."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from external_tasks.model import Job, JobQuery, Status
from external_tasks.store import listing
from external_tasks.store.dynamodb import STEPS_IN_TREE_ORDER
from xtasks_local.template import IAM_API, OVIRT_API, Template

SPEC_ROUTES = {
    ("GET", "/jobs"),
    ("POST", "/jobs"),
    ("GET", "/jobs/{job_id}"),
    ("POST", "/jobs/{job_id}/end"),
    ("POST", "/jobs/{job_id}/clear"),
    ("GET", "/jobs/{job_id}/steps"),
    ("POST", "/jobs/{job_id}/steps"),
    ("GET", "/jobs/{job_id}/steps/{step_id}"),
    ("POST", "/jobs/{job_id}/steps/{step_id}/end"),
    ("GET", "/capabilities"),
    ("PUT", "/jobs/{job_id}"),
    ("PUT", "/jobs/{job_id}/steps/{step_id}"),
    ("POST", "/jobs/{job_id}/heartbeat"),
    ("GET", "/"),
}
# oVirt's path serves the same operations under /api (so /ovirt-engine/api/...), and oVirt's SSO.
SIGN_IN_ROUTES = {("POST", "/sso/oauth/token"), ("POST", "/services/sso-logout")}
WRITE_ACTIONS = {
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "ConditionCheckItem",
    "TransactWriteItems",
}
# Attributes that move on writes that change nothing a listing keys on: no index may hold them, or every such
# write would rewrite index entries too (docs/storage.md).
FAST_MOVING = {"last_updated", "step_count", "step_total", "child_count", "deadline"}
# What a step listing renders, read from steps_in_tree_order.
STEP_ATTRIBUTES = {
    "description", "step_type", "status", "start_time", "end_time", "parent_step_id", "ancestors",
    "closes_as", "progress", "execution",
}  # fmt: skip


@pytest.fixture(scope="module")
def t() -> Template:
    return Template()


def _properties(t: Template, name: str) -> dict[str, Any]:
    properties: dict[str, Any] = t.resources[name]["Properties"]
    return properties


def test_an_iam_authorised_api_with_stage_api_and_a_signed_in_one_on_ovirts_path(t: Template) -> None:
    """Security, and sign-in: SigV4 on /api; the user pool's ID tokens on /ovirt-engine (oVirt's path)."""
    apis = t.of_type("AWS::Serverless::Api")
    assert set(apis) == {IAM_API, OVIRT_API}
    iam = apis[IAM_API]["Properties"]
    assert iam["StageName"] == "api"
    assert iam["Auth"] == {"DefaultAuthorizer": "AWS_IAM", "InvokeRole": "NONE"}
    ovirt = apis[OVIRT_API]["Properties"]
    assert ovirt["StageName"] == "ovirt-engine"
    default = ovirt["Auth"]["DefaultAuthorizer"]
    assert ovirt["Auth"]["Authorizers"][default] == {
        "UserPoolArn": {"Fn::GetAtt": ["UserPool", "Arn"]},
        "Identity": {"Header": "Authorization"},
    }


def test_one_function_per_operation_on_exactly_the_spec_paths(t: Template) -> None:
    functions = t.of_type("AWS::Serverless::Function")
    for name, resource in functions.items():
        if name != "MonitorExecutionsFunction":  # one rule for each of the four services
            assert len(resource["Properties"]["Events"]) <= 2  # the IAM API's and oVirt's path
    assert len(t.routes) == len(SPEC_ROUTES)
    assert {(route.method, route.path) for route in t.routes} == SPEC_ROUTES
    on_ovirts_path = {(route.method, route.path) for route in t.routes_on(OVIRT_API)}
    assert on_ovirts_path == {(m, f"/api{p}".rstrip("/")) for m, p in SPEC_ROUTES} | SIGN_IN_ROUTES
    for route in t.routes_on(OVIRT_API):
        assert route.authorized is ((route.method, route.path) not in SIGN_IN_ROUTES), route
        signing_in = (route.method, route.path) in SIGN_IN_ROUTES
        assert signing_in or route.function in {r.function for r in t.routes}


def test_a_route_matches_the_whole_path_and_nothing_after_it(t: Template) -> None:
    """The local server's routing (issue 10): a final newline is part of the path, not the end of it."""
    assert t.match("GET", "/jobs") is not None
    assert t.match("GET", "/jobs\n") is None
    assert t.match("GET", "/capabilities\n") is None
    assert t.match("POST", "/jobs/1/end\n") is None
    assert t.match("GET", "/jobs/1%2Fend") == (t.match("GET", "/jobs/1")[0], {"job_id": "1%2Fend"})  # type: ignore[index]


def test_the_steps_of_cleared_jobs_are_deleted_from_the_stream(t: Template) -> None:
    """Rule 6: TTL removes the job item; a stream-driven function deletes its steps, and only that."""
    function = t.resources["ClearStepsFunction"]["Properties"]
    event = function["Events"]["ClearedJobs"]
    assert event["Type"] == "DynamoDB"
    assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["JobsTable", "StreamArn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    pattern = event["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"]
    assert json.loads(pattern) == {"eventName": ["REMOVE"], "dynamodb": {"Keys": {"SK": {"S": ["JOB"]}}}}
    assert _dynamodb_actions(t.resources["ClearStepsFunction"]) == {
        "dynamodb:BatchWriteItem",
        "dynamodb:Query",
    }


def test_functions_run_python_313_on_arm64_with_the_shared_layer(t: Template) -> None:
    assert t.function_globals["Runtime"] == "python3.13"
    assert t.function_globals["Architectures"] == ["arm64"]
    layers = t.of_type("AWS::Serverless::LayerVersion")
    assert len(layers) == 1
    name, layer = next(iter(layers.items()))
    # makefile, not python3.13: SAM's Python builder ships no bytecode (see layers/shared/Makefile)
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert t.function_globals["Layers"] == [{"Ref": name}]
    for function in t.of_type("AWS::Serverless::Function").values():
        assert function["Metadata"] == {"BuildMethod": "makefile", "ContextPath": "functions"}


def test_snapstart_is_offered_as_a_parameter(t: Template) -> None:
    """Benchmark issue: SnapStart for Python, off unless asked for."""
    parameter = t.document["Parameters"]["SnapStart"]
    assert parameter["Default"] == "None"
    assert parameter["AllowedValues"] == ["None", "PublishedVersions"]
    assert t.function_globals["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
    assert t.function_globals["AutoPublishAlias"] == "live"


def test_the_table_keeps_jobs_safe(t: Template) -> None:
    """docs/storage.md: point-in-time recovery, deletion protection, Retain, encryption; TTL and a stream."""
    table = t.resources["JobsTable"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert properties["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]


def _indexes(t: Template) -> dict[str, dict[str, Any]]:
    properties = t.table_properties()
    indexes = properties.get("GlobalSecondaryIndexes", []) + properties.get("LocalSecondaryIndexes", [])
    return {index["IndexName"]: index for index in indexes}


@pytest.mark.parametrize(
    "query",
    [
        JobQuery(),
        JobQuery(status=Status.STARTED),
        JobQuery(owner="arn:aws:iam::1:role/r"),
        JobQuery(owner="arn:aws:iam::1:role/r", status=Status.FAILED),
        JobQuery(correlation_id="c", status=Status.STARTED),
    ],
)
def test_every_listing_has_a_sharded_index_holding_keys_only(t: Template, query: JobQuery) -> None:
    """Listing: through indexes, newest first, never a Scan; no constant partition key (docs/storage.md)."""
    wanted = listing.for_query(query)
    index = _indexes(t)[wanted.index]
    assert index["KeySchema"] == [
        {"AttributeName": wanted.attribute, "KeyType": "HASH"},
        {"AttributeName": listing.SORT_KEY, "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert len(set(wanted.keys())) == listing.SHARDS >= 8


def test_a_job_is_in_every_listing_index_and_no_other(t: Template) -> None:
    job = Job(
        "0f8fad5b-d9cb-469f-a165-70867728950e", "d", "arn:aws:iam::1:role/r", Status.STARTED, 1, 1, True, "c"
    )
    listed = {entry.index for entry in listing.listings(job)}
    assert listed == set(_indexes(t)) - {STEPS_IN_TREE_ORDER, listing.EXPIRY_INDEX, listing.LEASE_INDEX}


def test_no_index_holds_an_attribute_that_moves_without_changing_a_listing(t: Template) -> None:
    for name, index in _indexes(t).items():
        projected = set(index["Projection"].get("NonKeyAttributes", []))
        keys = {key["AttributeName"] for key in index["KeySchema"]}
        assert index["Projection"]["ProjectionType"] != "ALL", name
        assert not (keys | projected) & FAST_MOVING, name


def test_expired_jobs_are_deleted_every_minute_through_a_sparse_sharded_index(t: Template) -> None:
    """Rule 6 and Listing: jobs are deleted when they expire, not days later by TTL, so that a page never
    reads past many of them; the index holds only the jobs that will expire (items.expiry)."""
    index = _indexes(t)[listing.EXPIRY_INDEX]
    assert index["KeySchema"] == [
        {"AttributeName": listing.EXPIRY_ATTRIBUTE, "KeyType": "HASH"},
        {"AttributeName": "gone_at", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    function = t.resources["ExpireJobsFunction"]["Properties"]
    (event,) = function["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert _dynamodb_actions(t.resources["ExpireJobsFunction"]) == {"dynamodb:Query", "dynamodb:DeleteItem"}


def test_lapsed_jobs_are_found_every_minute_through_a_sparse_sharded_index_heartbeats_never_touch(
    t: Template,
) -> None:
    """Timeouts: the index is keyed on when to look at a lease (check_at), never on the deadline that every
    heartbeat moves, so that a heartbeat stays one write of one item; only the scheduled function moves it."""
    index = _indexes(t)[listing.LEASE_INDEX]
    assert index["KeySchema"] == [
        {"AttributeName": listing.LEASE_ATTRIBUTE, "KeyType": "HASH"},
        {"AttributeName": listing.LEASE_CHECK_AT, "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert len({listing.lease_key(shard) for shard in range(listing.SHARDS)}) >= 8
    function = t.resources["TimeOutJobsFunction"]["Properties"]
    (event,) = function["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert _dynamodb_actions(t.resources["TimeOutJobsFunction"]) == {
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:UpdateItem",
    }


def test_jobs_get_a_default_timeout_from_a_parameter_that_is_off_by_default(t: Template) -> None:
    parameter = t.document["Parameters"]["DefaultJobTimeoutSeconds"]
    assert parameter["Default"] == "0"
    pattern = re.compile(parameter["AllowedPattern"])
    accepted = [str(n) for n in range(0, 700_000) if pattern.fullmatch(str(n))]
    assert accepted == ["0", *(str(n) for n in range(60, 604_801))]
    environment = t.function_globals["Environment"]["Variables"]
    assert environment["DEFAULT_JOB_TIMEOUT_SECONDS"] == {"Ref": "DefaultJobTimeoutSeconds"}


def test_steps_are_read_in_tree_order_through_a_local_index_holding_what_a_listing_shows(t: Template) -> None:
    index = _indexes(t)[STEPS_IN_TREE_ORDER]
    assert index["KeySchema"][1] == {"AttributeName": "tree", "KeyType": "RANGE"}
    assert index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": sorted(STEP_ATTRIBUTES)}


def test_page_tokens_are_signed_with_a_secret_generated_at_deploy_time(t: Template) -> None:
    """Rule 10: never a public value such as the stack id; only the list functions may read it."""
    secret = t.resources["PageTokenSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    environment = t.function_globals["Environment"]["Variables"]
    assert environment["PAGE_TOKEN_SECRET_ARN"] == {"Ref": "PageTokenSecret"}
    assert "PAGE_TOKEN_KEY" not in environment
    readers = set()
    for name, resource in t.of_type("AWS::Serverless::Function").items():
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []):
                if "secretsmanager:GetSecretValue" in statement["Action"]:
                    assert statement["Resource"] == {"Ref": "PageTokenSecret"}
                    readers.add(name)
    assert readers == {"ListJobsFunction", "ListStepsFunction"}


def _dynamodb_actions(resource: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for policy in resource["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []):
            listed = statement["Action"]
            actions |= set([listed] if isinstance(listed, str) else listed)
    return {action for action in actions if action.startswith("dynamodb:")}


def test_read_routes_cannot_write_and_nothing_may_scan(t: Template) -> None:
    """Least privilege per function; no Scan anywhere, no wildcard actions."""
    for route in t.routes:
        actions = _dynamodb_actions(t.resources[route.function])
        assert not any("*" in action for action in actions), route.function
        assert "dynamodb:Scan" not in actions
        if route.method == "GET":
            assert not {a.removeprefix("dynamodb:") for a in actions} & WRITE_ACTIONS, route.function
    assert _dynamodb_actions(t.resources["CapabilitiesFunction"]) == set()


def _invoke_resources(t: Template, policy: str) -> list[str]:
    statements = _properties(t, policy)["PolicyDocument"]["Statement"]
    resources: list[str] = []
    for statement in statements:
        assert statement["Action"] == "execute-api:Invoke"
        listed = statement["Resource"]
        resources += [r["Fn::Sub"] for r in (listed if isinstance(listed, list) else [listed])]
    return resources


def test_readers_may_only_get_and_writers_may_also_post_and_put(t: Template) -> None:
    """Rule 7: reading needs the reader permission, creating, ending and reporting progress the writer
    permission."""
    reader = _invoke_resources(t, "ReaderPolicy")
    writer = _invoke_resources(t, "WriterPolicy")
    assert [r.rsplit("/api/", 1)[1] for r in reader] == ["GET/*"]
    assert sorted(r.rsplit("/api/", 1)[1] for r in writer) == ["GET/*", "POST/*", "PUT/*"]
    role = _properties(t, "ExternalTasksRole")
    assert role["ManagedPolicyArns"] == [{"Ref": "WriterPolicy"}]


def test_the_deployment_is_configured_by_parameters(t: Template) -> None:
    """Rules 6 and 7: cleanup delays and administrators are template parameters."""
    parameters = t.document["Parameters"]
    assert parameters["SucceededJobCleanupMinutes"]["Default"] == 10
    assert parameters["FailedJobCleanupMinutes"]["Default"] == 60
    assert parameters["SucceededJobCleanupMinutes"]["MinValue"] == 0
    assert "AdminPrincipals" in parameters
    assert "ExternalTasksPrincipals" in parameters
    environment = t.function_globals["Environment"]["Variables"]
    assert environment["ADMIN_PRINCIPALS"] == {"Ref": "AdminPrincipals"}
    assert environment["SUCCEEDED_JOB_CLEANUP_MINUTES"] == {"Ref": "SucceededJobCleanupMinutes"}
    assert environment["FAILED_JOB_CLEANUP_MINUTES"] == {"Ref": "FailedJobCleanupMinutes"}


def test_every_function_logs_to_its_own_group_with_retention(t: Template) -> None:
    for name, resource in t.of_type("AWS::Serverless::Function").items():
        group = resource["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert t.resources[group]["Type"] == "AWS::Logs::LogGroup", name
        assert t.resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_outputs_name_the_api_table_role_and_policies(t: Template) -> None:
    assert set(t.document["Outputs"]) >= {
        "ApiUrl", "JobsTableName", "ExternalTasksRoleArn", "ReaderPolicyArn", "WriterPolicyArn",
    }  # fmt: skip
    assert t.document["Outputs"]["ApiUrl"]["Value"]["Fn::Sub"].endswith("/api")
