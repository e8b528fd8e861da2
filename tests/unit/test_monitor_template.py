"""template.yaml's web task monitor: a private bucket only its CloudFront distribution reads, the output
MonitorUrl, and CORS on the oVirt API for the monitor's origin alone."""

from __future__ import annotations

from typing import Any

from xtasks_local.template import OVIRT_API, Template

MONITOR_ORIGIN = {"Fn::Sub": "'https://${MonitorDistribution.DomainName}'"}


def _properties(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = Template().resources[name]["Properties"]
    return properties


def test_the_bucket_is_private_and_encrypted() -> None:
    bucket = _properties("MonitorBucket")
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_only_the_distribution_reads_the_bucket_through_origin_access_control() -> None:
    statements = _properties("MonitorBucketPolicy")["PolicyDocument"]["Statement"]
    allowed = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allowed) == 1
    assert allowed[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allowed[0]["Action"] == "s3:GetObject"
    source = allowed[0]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith(":distribution/${MonitorDistribution}")
    denied = [s for s in statements if s["Effect"] == "Deny"]
    assert denied[0]["Condition"] == {"Bool": {"aws:SecureTransport": False}}

    config = _properties("MonitorDistribution")["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["MonitorOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    access = _properties("MonitorOriginAccessControl")["OriginAccessControlConfig"]
    assert (access["OriginAccessControlOriginType"], access["SigningBehavior"]) == ("s3", "always")


def test_the_stack_outputs_the_monitor_url() -> None:
    outputs = Template().document["Outputs"]
    assert outputs["MonitorUrl"]["Value"] == {"Fn::Sub": "https://${MonitorDistribution.DomainName}/"}
    assert {"MonitorBucketName", "MonitorDistributionId", "OvirtApiUrl"} <= set(outputs)


def test_the_ovirt_api_allows_the_monitor_origin_alone_preflights_and_gateway_errors_included() -> None:
    api = _properties(OVIRT_API)
    assert api["Cors"]["AllowOrigin"] == MONITOR_ORIGIN
    assert "Authorization" in api["Cors"]["AllowHeaders"]
    assert api["Auth"]["AddDefaultAuthorizerToCorsPreflight"] is False
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        headers = api["GatewayResponses"][kind]["ResponseParameters"]["Headers"]
        assert headers == {"Access-Control-Allow-Origin": MONITOR_ORIGIN}
