"""The federation signature policy (shared/security/http_signatures.py), without servers:
what a signature covers, and each way a request is refused."""

from __future__ import annotations

import base64
import hashlib

import pytest

from shared.security.http_signatures import (
    MAX_LIFETIME_S,
    SignatureRefusedError,
    Verified,
    from_b64url,
    new_key_pair,
    public_jwk,
    sign_request,
    signature_key_id,
    verify_request,
)

NOW = 1_800_000_000
URL = "https://peer.example.se/federation/v1/ping?page=2"
BODY = b'{"message":"hej"}'
PRIVATE, PUBLIC = new_key_pair()


def signed(**overrides: object) -> dict[str, str]:
    args: dict[str, object] = {
        "method": "POST",
        "url": URL,
        "body": BODY,
        "key_id": "uppsala-1",
        "private_key": PRIVATE,
        "now": NOW,
    }
    args.update(overrides)
    return sign_request(**args)  # type: ignore[arg-type]


def verify(headers: dict[str, str], **overrides: object) -> Verified:
    args: dict[str, object] = {
        "method": "POST",
        "url": URL,
        "lines": list(headers.items()),
        "body": BODY,
        "public_key": PUBLIC,
        "now": NOW,
        "window_s": 60,
    }
    args.update(overrides)
    return verify_request(**args)  # type: ignore[arg-type]


def test_a_signed_request_verifies_and_names_its_key_nonce_and_times() -> None:
    headers = signed(nonce="n" * 24)
    assert signature_key_id(headers.items()) == "uppsala-1"
    assert verify(headers) == Verified(
        key_id="uppsala-1", nonce="n" * 24, created=NOW, expires=NOW + 60
    )


def test_the_signature_covers_method_target_digest_and_its_parameters() -> None:
    headers = signed()
    signature_input = headers["Signature-Input"]
    assert signature_input.startswith('samlast=("@method" "@target-uri" "content-digest")')
    for param in ("created=", "expires=", "nonce=", 'keyid="uppsala-1"', 'alg="ed25519"'):
        assert param in signature_input
    sha = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    assert headers["Content-Digest"] == f"sha-256=:{sha}:"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"method": "PUT"}, "does not verify"),
        ({"url": "https://peer.example.se/federation/v1/ping?page=3"}, "does not verify"),
        ({"url": "https://peer.example.se/federation/v1/hello?page=2"}, "does not verify"),
        ({"url": "https://other.example.se/federation/v1/ping?page=2"}, "does not verify"),
        ({"body": b'{"message":"hej!"}'}, "Content-Digest does not match"),
        ({"public_key": new_key_pair()[1]}, "does not verify"),
        ({"now": NOW + 61}, "not created within 60 s"),
        ({"now": NOW - 61}, "not created within 60 s"),
    ],
)
def test_a_changed_request_or_clock_is_refused(change: dict[str, object], reason: str) -> None:
    with pytest.raises(SignatureRefusedError, match=reason):
        verify(signed(), **change)


def test_an_expired_signature_is_refused_even_within_the_window() -> None:
    headers = signed(now=NOW - 30, lifetime_s=10)
    with pytest.raises(SignatureRefusedError, match="expired"):
        verify(headers)


def test_a_signature_may_not_live_longer_than_the_nonce_is_kept() -> None:
    with pytest.raises(ValueError, match="lives"):
        signed(lifetime_s=MAX_LIFETIME_S + 1)


def test_a_tampered_digest_header_is_refused() -> None:
    headers = signed()
    headers["Content-Digest"] = "sha-256=:" + base64.b64encode(b"x" * 32).decode() + ":"
    with pytest.raises(SignatureRefusedError):
        verify(headers)


def test_a_body_with_no_signed_digest_is_refused() -> None:
    headers = signed()
    headers["Signature-Input"] = headers["Signature-Input"].replace(' "content-digest"', "")
    with pytest.raises(SignatureRefusedError):
        verify(headers)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Signature-Input": "not a dictionary((", "Signature": "x"},
        {"Signature-Input": 'other=("@method");keyid="k";tag="else"', "Signature": "other=:AA==:"},
    ],
)
def test_an_unsigned_or_foreign_signature_names_no_key(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureRefusedError):
        signature_key_id(headers.items())


def test_an_empty_body_is_signed_and_checked_too() -> None:
    headers = signed(method="GET", body=b"")
    assert verify(headers, method="GET", body=b"").key_id == "uppsala-1"
    with pytest.raises(SignatureRefusedError):
        verify(headers, method="GET", body=b"smuggled")


def test_the_public_key_is_published_as_an_okp_jwk() -> None:
    jwk = public_jwk("uppsala-1", PUBLIC)
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    assert jwk["kid"] == "uppsala-1"
    assert from_b64url(jwk["x"]) == PUBLIC
    assert "=" not in jwk["x"]
