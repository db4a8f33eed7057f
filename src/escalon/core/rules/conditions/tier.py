"""`tier`: the case's tier is one of the names listed."""

from __future__ import annotations

from operator import attrgetter

from escalon.core.rules.listed import listed_condition

RULE = listed_condition("tier", attrgetter("state.tier"), "the customer's tier")
