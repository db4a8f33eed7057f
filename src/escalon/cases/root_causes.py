"""Root causes: what a resolution names as the cause, checked against the policy's codes."""

from __future__ import annotations

from dataclasses import dataclass

from escalon.core.policy import Policy
from escalon.core.rules.fields import OTHER_CAUSE
from escalon.core.rules.words import suggest
from escalon.errors import Invalid


@dataclass(frozen=True, slots=True)
class NamedCause:
    """A root cause as stored: the policy's code (None without codes) and the words shown."""

    code: str | None
    words: str


def named_cause(
    policy: Policy, code: str | None, words: str | None, *, resolving_escalated: bool
) -> NamedCause | None:
    """The cause a request names (None: it names none); Invalid says what is missing or wrong.

    With codes in the policy, words alone are an `other` cause, and resolving an escalated case
    must name one: the numbers and the review count escalations by cause. Without codes, the
    cause is free text, as before the policy could list them.
    """
    causes = policy.root_causes
    if code is None and words is None:
        if resolving_escalated and causes:
            raise Invalid(
                "name the root cause of this escalated case: root_cause_code, one of "
                f"{', '.join(causes)}, or '{OTHER_CAUSE}' with root_cause in words"
            )
        return None
    if not causes:
        if code is not None:
            raise Invalid(
                "the case's policy lists no root-cause codes: name the cause in words (root_cause)"
            )
        assert words is not None
        return NamedCause(None, words)
    if code is None or code == OTHER_CAUSE:
        if words is None:
            raise Invalid(f"'{OTHER_CAUSE}' needs the cause in words (root_cause)")
        return NamedCause(OTHER_CAUSE, words)
    if code not in causes:
        raise Invalid(
            f"unknown root cause code {code!r}{suggest(code, causes)}; the policy lists "
            f"{', '.join(causes)} (or '{OTHER_CAUSE}' with root_cause in words)"
        )
    return NamedCause(code, words or causes[code])
