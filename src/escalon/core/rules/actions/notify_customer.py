"""`notify_customer`: send the customer a message from a named template."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from escalon.core.rules.base import ActionRule, Checks, Path
from escalon.core.rules.fields import Name
from escalon.core.rules.words import plain, quoted

if TYPE_CHECKING:
    from escalon.core.engine import Firing, Run

_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _act(run: Run, template: str, rule: str, firing: Firing, key: str, at: int) -> None:
    state = run.state
    run.promise(at)  # the message tells the customer when to expect an answer: honestly
    details = {"template": template, "customer": state.customer, "team": state.team}
    run.record(at, rule, firing, "notify_customer", key, details)


def _phrase(value: object) -> str:
    return f"send the customer the {quoted(plain(value))} message"


def _check(checks: Checks, path: Path, value: Any) -> None:
    if not _TEMPLATE_NAME.fullmatch(value):
        checks.error(path, f"'{value}' is not a template name")


RULE = ActionRule("notify_customer", Name, _act, _phrase, check=_check)
