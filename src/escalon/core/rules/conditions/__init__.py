"""The conditions of a rule's `if`, in the order the format (and its English) lists them."""

from __future__ import annotations

from escalon.core.rules.base import ConditionRule
from escalon.core.rules.conditions import (
    above_authority,
    breach_probability_above,
    category,
    channel,
    contains,
    intent,
    language,
    level,
    priority,
    reopened_at_least,
    score_below,
    sentiment_below,
    team,
    tier,
)

ALL: tuple[ConditionRule, ...] = (
    priority.RULE,
    tier.RULE,
    category.RULE,
    channel.RULE,
    team.RULE,
    level.RULE,
    intent.RULE,
    language.RULE,
    sentiment_below.RULE,
    contains.RULE,
    reopened_at_least.RULE,
    above_authority.RULE,
    score_below.RULE,
    breach_probability_above.RULE,
)
