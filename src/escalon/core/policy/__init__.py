"""Policies: YAML files validated into the escalation matrix the engine reads."""

from __future__ import annotations

from escalon.core.policy.check import CheckResult, check_text
from escalon.core.policy.compiled import Policy
from escalon.core.policy.source import Problem


class PolicyInvalid(ValueError):
    """A policy with errors; none of it may be applied."""

    def __init__(self, errors: list[Problem]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {problem}" for problem in errors)
        super().__init__(f"the policy has {len(errors)} error(s):\n{lines}")


def compile_checked(result: CheckResult) -> Policy:
    """Turn a clean check result into a Policy; raise PolicyInvalid otherwise."""
    if not result.ok or result.document is None:
        raise PolicyInvalid(result.errors)
    return Policy(result.document, result.calendars, result.source)


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Parse and check a policy's text; raise PolicyInvalid listing every error."""
    return compile_checked(check_text(text, source))


__all__ = [
    "CheckResult",
    "Policy",
    "PolicyInvalid",
    "Problem",
    "check_text",
    "compile_checked",
    "parse_policy",
]
