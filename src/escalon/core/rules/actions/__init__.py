"""The actions of a rule's `do`, in the order the format lists them."""

from __future__ import annotations

from escalon.core.rules.actions import (
    assign,
    escalate,
    notify,
    notify_customer,
    route,
    set_priority,
    tag,
)
from escalon.core.rules.base import ActionRule

ALL: tuple[ActionRule, ...] = (
    escalate.RULE,
    route.RULE,
    set_priority.RULE,
    assign.RULE,
    notify.RULE,
    notify_customer.RULE,
    tag.RULE,
)
