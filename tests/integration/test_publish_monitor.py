"""make publish-monitor: the bundle and a config.json for the stack's oVirt API go to the monitor bucket,
what an earlier bundle left goes away, and the distribution is invalidated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import REGION
from tools.publish_monitor import monitor_config, publish, stack_outputs

API = "https://abc123.execute-api.us-east-1.amazonaws.com/ovirt-engine/api"


def _distribution(cloudfront: Any) -> str:
    origin = {
        "Id": "m",
        "DomainName": "monitor.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config = {
        "CallerReference": "test",
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "m", "ViewerProtocolPolicy": "redirect-to-https"},
    }
    distribution_id: str = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    return distribution_id


def test_the_bundle_and_its_config_replace_what_was_there(aws_credentials: None, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "monitor.js").write_text("export {};")
    (tmp_path / "monitor.css").write_text("body {}")
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        cloudfront = boto3.client("cloudfront", region_name=REGION)
        s3.create_bucket(Bucket="monitor-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket="monitor-bucket", Key="old.js", Body=b"stale")
        outputs = {
            "MonitorBucketName": "monitor-bucket",
            "MonitorDistributionId": _distribution(cloudfront),
            "MonitorUrl": "https://d1.cloudfront.net/",
            "OvirtApiUrl": API,
        }
        uploaded = publish(outputs, tmp_path, s3, cloudfront)

        assert uploaded == ["index.html", "monitor.css", "monitor.js", "config.json"]
        keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket="monitor-bucket")["Contents"])
        assert keys == ["config.json", "index.html", "monitor.css", "monitor.js"]
        config = s3.get_object(Bucket="monitor-bucket", Key="config.json")
        assert json.loads(config["Body"].read()) == {
            "api": API,
            "token_url": "https://abc123.execute-api.us-east-1.amazonaws.com/ovirt-engine/sso/oauth/token",
            "sign_in": True,
        }
        script = s3.head_object(Bucket="monitor-bucket", Key="monitor.js")
        assert script["ContentType"] == "text/javascript; charset=utf-8"
        assert script["CacheControl"] == "no-cache"
        invalidations = cloudfront.list_invalidations(DistributionId=outputs["MonitorDistributionId"])
        assert invalidations["InvalidationList"]["Quantity"] == 1


def test_an_unbuilt_monitor_is_not_published(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="make monitor"):
        publish({"MonitorBucketName": "b"}, tmp_path, None, None)


def test_a_stack_without_the_monitor_says_so(aws_credentials: None) -> None:
    class Stacks:
        def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
            return {"Stacks": [{"Outputs": [{"OutputKey": "OvirtApiUrl", "OutputValue": API}]}]}

    with pytest.raises(SystemExit, match="no output MonitorBucketName, MonitorDistributionId, MonitorUrl"):
        stack_outputs(Stacks(), "external-tasks")
    assert monitor_config({"OvirtApiUrl": API + "/"})["api"] == API
