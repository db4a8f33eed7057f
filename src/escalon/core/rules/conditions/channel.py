"""`channel`: the case's channel is one of the names listed."""

from __future__ import annotations

from operator import attrgetter

from escalon.core.rules.listed import listed_condition

RULE = listed_condition("channel", attrgetter("state.channel"), "the channel")
