"""Policy versions: check, store, activate, and the compiled policy each case is evaluated under."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from escalon.core.policy import CheckResult, Policy, Problem, check_text, compile_checked
from escalon.errors import Conflict, Detail, Invalid, NotFound
from escalon.policies.models import PolicyVersion

# Compiled policies by version id. A version's text never changes, so entries never go stale.
# By version id and fingerprint: one process may read several databases (the installation and
# practice sandboxes) whose version ids are the same numbers for other texts.
_compiled: dict[tuple[int, str], Policy] = {}
_compiled_lock = threading.Lock()


def problem_detail(problem: Problem) -> Detail:
    """A policy problem as an error detail: file, line, field path and what is wrong."""
    return Detail(
        problem.message, field=problem.path or None, line=problem.line, source=problem.source
    )


def check(text: str, filename: str) -> CheckResult:
    """Check a policy's text without storing anything.

    A text past a reading limit (size, depth, aliases, expansion) is refused outright (Invalid,
    naming the limit): it is not a policy with problems, it was never read.
    """
    result = check_text(text, filename or "<policy>")
    exceeded = [problem for problem in result.errors if problem.limit]
    if exceeded:
        raise Invalid(f"{exceeded[0]}; nothing was checked", [problem_detail(p) for p in exceeded])
    return result


def upload(
    session: Session, *, text: str, filename: str, user_id: int | None, now: int
) -> tuple[PolicyVersion, bool]:
    """Store a new version (not active yet); (version, created). Nothing is stored if invalid.

    Uploading the same text again returns the stored version. A name and version already stored
    with other content is refused: a version never changes meaning.
    """
    result = check(text, filename)
    if not result.ok or result.document is None:
        raise Invalid(
            f"{filename or 'the policy'} has {len(result.errors)} error(s); nothing was stored",
            [problem_detail(problem) for problem in result.errors],
        )
    policy = compile_checked(result)
    existing = session.scalars(
        select(PolicyVersion).where(
            PolicyVersion.name == policy.name, PolicyVersion.version == policy.version
        )
    ).first()
    if existing is not None:
        if existing.fingerprint == policy.fingerprint:
            return existing, False
        raise Conflict(
            f"policy {policy.name!r} version {policy.version} is already stored with other "
            "content: give the changed policy a new version"
        )
    stored = PolicyVersion(
        name=policy.name,
        version=policy.version,
        fingerprint=policy.fingerprint,
        filename=filename,
        source=text,
        warnings=[problem_detail(problem).as_dict() for problem in result.warnings],
        uploaded_by=user_id,
        uploaded_at=now,
        active=False,
    )
    session.add(stored)
    session.flush()
    with _compiled_lock:
        _compiled[stored.id, policy.fingerprint] = policy
    return stored, True


def activate(session: Session, *, version_id: int, user_id: int | None, now: int) -> PolicyVersion:
    """Make a version the one new cases are opened under (open cases keep theirs)."""
    version = get(session, version_id)
    if version.active:
        return version
    session.execute(update(PolicyVersion).where(PolicyVersion.active).values(active=False))
    session.flush()
    version.active = True
    version.activated_at = now
    version.activated_by = user_id
    session.flush()
    return version


# How a caller records an administrative change: (session, action, target, data).
Audit = Callable[[Session, str, str, "dict[str, Any] | None"], None]


def store(
    session: Session,
    *,
    text: str,
    filename: str,
    activate_now: bool,
    user_id: int | None,
    now: int,
    audit: Audit,
) -> tuple[PolicyVersion, bool]:
    """Upload (and, if asked, activate) a version, recording each change in the audit trail.

    The one flow behind `POST /api/v1/policies` and `escalon policy upload`.
    """
    version, created = upload(session, text=text, filename=filename, user_id=user_id, now=now)
    if created:
        audit(
            session,
            "policy.uploaded",
            f"policy:{version.id}",
            {"name": version.name, "version": version.version, "filename": version.filename},
        )
    if activate_now:
        version = switch_on(session, version=version, user_id=user_id, now=now, audit=audit)
    return version, created


def switch_on(
    session: Session, *, version: PolicyVersion, user_id: int | None, now: int, audit: Audit
) -> PolicyVersion:
    """Activate a stored version, recording it unless it already was the active one."""
    if version.active:
        return version
    activated = activate(session, version_id=version.id, user_id=user_id, now=now)
    audit(session, "policy.activated", f"policy:{activated.id}", None)
    return activated


def by_version(session: Session, *, version: str, name: str | None = None) -> PolicyVersion:
    """The stored version whose file says `version:` VERSION (and `name:` NAME, if given).

    NotFound names the stored versions; Invalid when several policies share the version and no
    name tells them apart.
    """
    query = select(PolicyVersion).where(PolicyVersion.version == version)
    if name is not None:
        query = query.where(PolicyVersion.name == name)
    found = list(session.scalars(query.order_by(PolicyVersion.id)))
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(sorted(row.name for row in found))
        raise Invalid(
            f"version {version!r} is stored for several policies ({names}): say which with --name"
        )
    stored = session.execute(
        select(PolicyVersion.name, PolicyVersion.version).order_by(PolicyVersion.id)
    ).all()
    known = ", ".join(f"{row.name} {row.version}" for row in stored) or "none yet"
    whose = f" of policy {name!r}" if name is not None else ""
    raise NotFound(f"no stored policy version {version!r}{whose}; stored versions: {known}")


def active(session: Session) -> Policy | None:
    """The compiled policy new cases open under, or None when no version is active."""
    row = session.execute(
        select(PolicyVersion.id, PolicyVersion.fingerprint).where(PolicyVersion.active)
    ).first()
    return None if row is None else compiled(session, row.id, row.fingerprint)


def get(session: Session, version_id: int) -> PolicyVersion:
    """One stored version; NotFound otherwise."""
    version = session.get(PolicyVersion, version_id)
    if version is None:
        raise NotFound(f"policy version {version_id} does not exist")
    return version


def compiled(session: Session, version_id: int, fingerprint: str | None = None) -> Policy:
    """The compiled policy of a stored version (compiled once per process per text).

    A cached entry is only used for the very text it was compiled from: ids restart when a
    database is reset, and every practice sandbox has its own version 1. Callers that read the
    version's fingerprint along with the case pass it; otherwise it is read here.
    """
    if fingerprint is None:
        fingerprint = session.scalar(
            select(PolicyVersion.fingerprint).where(PolicyVersion.id == version_id)
        )
        if fingerprint is None:
            raise NotFound(f"policy version {version_id} does not exist")
    found = _compiled.get((version_id, fingerprint))
    if found is not None:
        return found
    source, filename = session.execute(
        select(PolicyVersion.source, PolicyVersion.filename).where(PolicyVersion.id == version_id)
    ).one()
    policy = compile_checked(check(source, filename))
    with _compiled_lock:
        _compiled[version_id, policy.fingerprint] = policy
    return policy
