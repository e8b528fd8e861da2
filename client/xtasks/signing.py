"""Who signs, and for which region: the standard AWS chain (environment, profile, instance or task role) as
botocore reads it, unless the caller gives them; the region from the endpoint's URL, AWS_REGION, or the AWS
configuration (AWS_DEFAULT_REGION, the profile's region). botocore is imported here, when a client is made,
and not before: a command's start-up pays for it only when the command sends a request."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xtasks import endpoint as endpoints
from xtasks.errors import ConfigurationError

if TYPE_CHECKING:
    from botocore.credentials import Credentials


@dataclass(frozen=True, slots=True)
class Signer:
    credentials: Credentials
    region: str


def signer(
    endpoint: str, *, profile: str | None, region: str | None, credentials: Credentials | None
) -> Signer:
    """Credentials and region for ``endpoint``; the region of an API Gateway URL is read from the URL."""
    import botocore.session

    try:
        session = botocore.session.Session(profile=profile)
        found: Credentials | None = credentials or session.get_credentials()
        region = (
            region
            or endpoints.region_in(endpoint)
            or os.environ.get("AWS_REGION")  # botocore itself reads AWS_DEFAULT_REGION only
            or session.get_config_variable("region")
        )
    # botocore raises several kinds here: a missing profile, a bad config file, a failing credential_process
    except Exception as error:
        raise ConfigurationError(f"AWS credentials could not be loaded: {error}") from None
    if found is None:
        raise ConfigurationError(
            "No AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    if not region:
        raise ConfigurationError("No region to sign for: pass --region or set AWS_REGION")
    return Signer(found, region)
