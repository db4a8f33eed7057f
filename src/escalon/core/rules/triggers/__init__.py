"""The triggers, in the order the format lists them."""

from __future__ import annotations

from escalon.core.rules.base import TriggerRule
from escalon.core.rules.triggers import (
    approval_requested,
    case_opened,
    case_reopened,
    clock_suspicious,
    customer_message,
    customer_sentiment_drop,
    escalation_unacknowledged,
    level_timeout,
    ola_breach,
    ola_warning,
    sla_at_risk,
    sla_breach,
    sla_promise_slipping,
    sla_warning,
    survey_answered,
)

ALL: tuple[TriggerRule, ...] = (
    case_opened.RULE,
    customer_message.RULE,
    sla_warning.RULE,
    sla_breach.RULE,
    case_reopened.RULE,
    escalation_unacknowledged.RULE,
    level_timeout.RULE,
    approval_requested.RULE,
    survey_answered.RULE,
    customer_sentiment_drop.RULE,
    clock_suspicious.RULE,
    sla_at_risk.RULE,
    sla_promise_slipping.RULE,
    ola_warning.RULE,
    ola_breach.RULE,
)
