"""What the API reads and writes about policy versions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from escalon.errors import ErrorDetail


class PolicyUpload(BaseModel):
    """A policy file's text (YAML or JSON) and the name it goes by."""

    model_config = ConfigDict(extra="forbid")

    source: Annotated[str, StringConstraints(max_length=1_000_000)]
    filename: Annotated[str, StringConstraints(max_length=500)] = "policy.yaml"
    activate: bool = Field(False, strict=True)


class PolicySummary(BaseModel):
    """The shape of a sound policy, briefly."""

    name: str
    version: str
    levels: list[str]
    teams: list[str]
    slas: list[str]
    rules: list[str]


class ValidationResult(BaseModel):
    """What checking a policy found; nothing is stored."""

    ok: bool
    errors: list[ErrorDetail]
    warnings: list[ErrorDetail]
    summary: PolicySummary | None


class PolicyVersionOut(BaseModel):
    """One stored policy version."""

    id: int
    name: str
    version: str
    fingerprint: str
    filename: str
    uploaded_at: datetime
    active: bool
    activated_at: datetime | None
    warnings: list[ErrorDetail]


class PolicyVersionDetail(PolicyVersionOut):
    """A stored policy version with its text."""

    source: str
