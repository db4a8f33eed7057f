"""HTTP endpoints for policies: validate, upload, activate, list versions."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from escalon.auth.access import Admin, Staff
from escalon.core.policy import compile_checked
from escalon.errors import ErrorDetail, NotFound, error_responses
from escalon.outputs import from_row
from escalon.policies import service
from escalon.policies.models import PolicyVersion
from escalon.policies.schemas import (
    PolicySummary,
    PolicyUpload,
    PolicyVersionDetail,
    PolicyVersionOut,
    ValidationResult,
)
from escalon.request_params import PathId

router = APIRouter(prefix="/api/v1/policies", tags=["policies"])


def _out(version: PolicyVersion) -> PolicyVersionOut:
    return from_row(
        PolicyVersionOut,
        version,
        instants=("uploaded_at", "activated_at"),
        warnings=[ErrorDetail(**warning) for warning in version.warnings or []],
    )


def _detail(version: PolicyVersion) -> PolicyVersionDetail:
    return PolicyVersionDetail(**_out(version).model_dump(), source=version.source)


@router.post("/validate", responses=error_responses(400, 401, 403, 422))
def validate(body: PolicyUpload, context: Admin) -> ValidationResult:
    """Check a policy and report every problem at once; nothing is stored (admins: checking
    costs the server work, so only those who may store policies ask for it)."""
    result = service.check(body.source, body.filename)
    summary = None
    if result.ok:
        policy = compile_checked(result)
        summary = PolicySummary(
            name=policy.name,
            version=policy.version,
            levels=[level.name for level in policy.levels],
            teams=sorted(policy.teams),
            slas=[sla.name for sla in policy.slas],
            rules=[rule.name for rule in policy.rules],
        )
    return ValidationResult(
        ok=result.ok,
        errors=[ErrorDetail(**service.problem_detail(p).as_dict()) for p in result.errors],
        warnings=[ErrorDetail(**service.problem_detail(p).as_dict()) for p in result.warnings],
        summary=summary,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": PolicyVersionDetail, "description": "The same text was already stored"},
        **error_responses(400, 401, 403, 404, 409, 422),
    },
)
def upload(body: PolicyUpload, response: Response, context: Admin) -> PolicyVersionDetail:
    """Store a new policy version (and activate it if asked); a policy with errors is refused."""
    now = context.now()
    with context.db.write() as session:
        version, created = service.store(
            session,
            text=body.source,
            filename=body.filename,
            activate_now=body.activate,
            user_id=context.principal.user_id,
            now=now,
            audit=context.audit,
        )
        if not created:
            response.status_code = status.HTTP_200_OK
        response.headers["Location"] = f"/api/v1/policies/{version.id}"
        return _detail(version)


@router.get("", responses=error_responses(401, 403))
def list_versions(context: Staff) -> list[PolicyVersionOut]:
    """Every stored version, newest first."""
    with context.db.read() as session:
        rows = session.scalars(select(PolicyVersion).order_by(PolicyVersion.id.desc()))
        return [_out(version) for version in rows]


@router.get("/active", responses=error_responses(401, 403, 404))
def get_active(context: Staff) -> PolicyVersionDetail:
    """The version new cases are opened under."""
    with context.db.read() as session:
        version = session.scalars(select(PolicyVersion).where(PolicyVersion.active)).first()
        if version is None:
            raise NotFound("no policy is active")
        return _detail(version)


# Only digits match, so GET /policies/validate is a 405 (POST only), not a 422 about the id.
@router.get("/{version_id:int}", responses=error_responses(401, 403, 404, 422))
def get_version(version_id: PathId, context: Staff) -> PolicyVersionDetail:
    """One stored version with its text."""
    with context.db.read() as session:
        return _detail(service.get(session, version_id))


@router.post("/{version_id}/activate", responses=error_responses(401, 403, 404, 422))
def activate(version_id: PathId, context: Admin) -> PolicyVersionOut:
    """Open new cases under this version from now on (open cases keep theirs)."""
    with context.db.write() as session:
        version = service.switch_on(
            session,
            version=service.get(session, version_id),
            user_id=context.principal.user_id,
            now=context.now(),
            audit=context.audit,
        )
        return _out(version)
