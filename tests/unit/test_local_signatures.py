"""The local server's SigV4 check answers any Authorization header, however malformed, with API Gateway's
403 refusal (or, when it is valid, with the key that signed it): never with an exception of its own
(issue 10: a non-ASCII signature used to drop the connection)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xtasks_local import sigv4

KEY = sigv4.Key("AKIAXTLOCAL000000001", "the-secret", "arn:aws:iam::123456789012:user/local-writer")
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
AMZ_DATE = "20260102T030405Z"
HOST = "127.0.0.1:3000"
# What http.server hands on: header bytes decoded as latin-1, so any of the 256 code points.
ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=80)


def _verify(authorization: str, amz_date: str | None = AMZ_DATE) -> sigv4.Signed:
    headers = [("Authorization", authorization), ("Host", HOST)]
    if amz_date is not None:
        headers.append(("X-Amz-Date", amz_date))
    return sigv4.verify(
        method="GET", raw_path="/api/jobs", raw_query="", headers=headers, body=b"", region="us-east-1",
        hosts=[HOST], keys={KEY.access_key_id: KEY}, now=lambda: NOW,
    )  # fmt: skip


def _authorization(credential: str, signed_headers: str, signature: str) -> str:
    return f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed_headers}, Signature={signature}"


CREDENTIAL = f"{KEY.access_key_id}/20260102/us-east-1/execute-api/aws4_request"


def test_a_non_ascii_signature_is_refused_as_a_signature_mismatch() -> None:
    with pytest.raises(sigv4.Refusal) as refused:
        _verify(_authorization(CREDENTIAL, "host;x-amz-date", "é" * 64))
    assert refused.value.error_type == "InvalidSignatureException"
    assert "does not match" in refused.value.message


@settings(max_examples=500, deadline=None)
@given(
    authorization=st.one_of(
        ANY_TEXT,
        st.builds(
            _authorization,
            st.one_of(ANY_TEXT, st.just(CREDENTIAL), st.builds(lambda s: CREDENTIAL + s, ANY_TEXT)),
            st.one_of(ANY_TEXT, st.just("host;x-amz-date"), st.builds(lambda s: "host;" + s, ANY_TEXT)),
            ANY_TEXT,
        ),
    ),
    amz_date=st.one_of(st.none(), st.just(AMZ_DATE), ANY_TEXT),
)
def test_any_forged_authorization_header_is_refused_with_api_gateways_reason(
    authorization: str, amz_date: str | None
) -> None:
    """No secret signed these: each is a Refusal (a 403 with a message), never another exception."""
    with pytest.raises(sigv4.Refusal) as refused:
        _verify(authorization, amz_date)
    assert refused.value.error_type.endswith("Exception")
    assert refused.value.message
