"""Idempotency-Keys of case openings: a retried request gets the case its first try made.

One lookup (`earlier_request`), joined into the opening's single read on the hot path and run
alone after a race, and one verdict (`replayed`) on what it found.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, select
from sqlalchemy.orm import Session

from escalon.cases.models import IdempotencyKey
from escalon.cases.schemas import CaseCreate
from escalon.errors import Invalid


class IdempotencyRace(Exception):
    """Another request with the same Idempotency-Key committed first; read its case instead."""


def request_fingerprint(request: CaseCreate) -> str:
    """A hash of a create request, to tell a retry from a different request under the same key."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def earlier_request() -> ColumnElement[bool]:
    """The stored key of the same user and key (bound as `user_id` and `idempotency_key`)."""
    return and_(
        IdempotencyKey.user_id == bindparam("user_id"),
        IdempotencyKey.key == bindparam("idempotency_key"),
    )


def replayed(
    key: str | None, case_id: int | None, request_hash: str | None, request: CaseCreate
) -> int | None:
    """The case an earlier request under the key made (None: no earlier request).

    Invalid when the key was used for a different request.
    """
    if case_id is None:
        return None
    if request_hash != request_fingerprint(request):
        raise Invalid(
            f"Idempotency-Key {key!r} was already used for a different request; "
            "use a new key for a new case"
        )
    return int(case_id)


def replayed_case(session: Session, *, user_id: int, key: str, request: CaseCreate) -> int | None:
    """The case an earlier request with this Idempotency-Key created, if any.

    Invalid when the key was used for a different request.
    """
    found = session.execute(
        select(IdempotencyKey.case_id, IdempotencyKey.request_hash).where(earlier_request()),
        {"user_id": user_id, "idempotency_key": key},
    ).first()
    if found is None:
        return None
    return replayed(key, found[0], found[1], request)


def key_row(
    *, user_id: int, key: str, request: CaseCreate, case_id: int, now: int
) -> dict[str, Any]:
    """The row that keeps a new case under its request's key."""
    return {
        "user_id": user_id,
        "key": key,
        "request_hash": request_fingerprint(request),
        "case_id": case_id,
        "created_at": now,
    }
