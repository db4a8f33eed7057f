"""Signatures of webhook deliveries: HMAC-SHA256 over the timestamp and the body.

A receiver recomputes the signature with the shared secret, compares in constant time, and
refuses a timestamp too far from its own clock, so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Escalon-Timestamp"
SIGNATURE_HEADER = "X-Escalon-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SCHEME = "v1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for a body sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={digest.hexdigest()}"


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, *, now: int, tolerance: int = 300
) -> bool:
    """Whether a delivery is authentic and recent (within `tolerance` seconds of `now`)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, int(timestamp), body)
    return hmac.compare_digest(expected, signature.strip())
