"""Publishes the web task monitor to a deployed stack: uploads monitor/dist (``make monitor``) and a
config.json pointing at the stack's oVirt API to the stack's monitor bucket, removes what an earlier bundle
left, and invalidates the CloudFront distribution so the new files are served at once. ``make
publish-monitor STACK_NAME=…`` runs it after the stack is deployed; it prints the monitor's URL.

AWS settings come from the environment and the AWS configuration files, as for any AWS tool.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]
BUILT = ROOT / "monitor" / "dist"
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".map": "application/json"}
# Every file is revalidated: the bundle's names carry no hash, and config.json changes with the stack.
CACHE_CONTROL = "no-cache"
OUTPUTS = ("MonitorBucketName", "MonitorDistributionId", "MonitorUrl", "OvirtApiUrl")


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs", [])}
    missing = [name for name in OUTPUTS if name not in outputs]
    if missing:
        raise SystemExit(f"stack {stack_name} has no output {', '.join(missing)}: deploy the template first")
    return outputs


def monitor_config(outputs: Mapping[str, str]) -> dict[str, object]:
    """The deployed monitor's settings: the oVirt API (…/ovirt-engine/api) and its SSO token endpoint."""
    api = outputs["OvirtApiUrl"].rstrip("/")
    engine = api.removesuffix("/api")
    return {"api": api, "token_url": f"{engine}/sso/oauth/token", "sign_in": True}


def _content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def publish(outputs: Mapping[str, str], built: Path, s3: Any, cloudfront: Any) -> list[str]:
    """Uploads the bundle and config.json, deletes every other object, invalidates the distribution; the keys
    uploaded."""
    if not (built / "index.html").is_file():
        raise SystemExit(f"{built} holds no built monitor: run make monitor")
    bucket = outputs["MonitorBucketName"]
    uploaded = []
    for path in sorted(p for p in built.iterdir() if p.is_file()):
        s3.put_object(
            Bucket=bucket,
            Key=path.name,
            Body=path.read_bytes(),
            ContentType=_content_type(path),
            CacheControl=CACHE_CONTROL,
        )
        uploaded.append(path.name)
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(monitor_config(outputs)).encode(),
        ContentType="application/json",
        CacheControl=CACHE_CONTROL,
    )
    uploaded.append("config.json")
    stale = [
        {"Key": item["Key"]}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
        if item["Key"] not in uploaded
    ]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": stale[start : start + 1000], "Quiet": True})
    cloudfront.create_invalidation(
        DistributionId=outputs["MonitorDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": str(time.time_ns())},
    )
    return uploaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-name", default=os.environ.get("STACK_NAME") or "external-tasks")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("REGION") or None)
    args = parser.parse_args(argv)
    session = boto3.Session(region_name=args.region)
    outputs = stack_outputs(session.client("cloudformation"), args.stack_name)
    uploaded = publish(outputs, BUILT, session.client("s3"), session.client("cloudfront"))
    sys.stdout.write(f"Published {len(uploaded)} files; the monitor: {outputs['MonitorUrl']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
