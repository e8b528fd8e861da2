"""The layer ships exactly the locked versions of the runtime dependencies (the AWS SDK aside)."""

from __future__ import annotations

from tools import layer_requirements


def test_layer_requirements_are_the_locked_runtime_dependencies() -> None:
    # Given uv.lock, when the layer's requirements are derived from it, then the committed file says the same
    assert layer_requirements.REQUIREMENTS.read_text() == layer_requirements.render(), (
        "run `make layer-requirements`"
    )


def test_the_layer_leaves_the_aws_sdk_to_the_runtime_but_ships_what_the_service_imports() -> None:
    pins = layer_requirements.pins()
    assert {"aws-lambda-powertools", "pydantic", "pydantic-core", "defusedxml"} <= set(pins)
    assert not {"boto3", "botocore", "s3transfer", "urllib3"} & set(pins)
