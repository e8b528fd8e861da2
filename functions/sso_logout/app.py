"""POST /ovirt-engine/services/sso-logout: oVirt's sign-out, sent by oVirt's SDKs when they close."""

from collections.abc import Mapping
from typing import Any

from external_tasks.http import sso


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    return sso.signed_out()
