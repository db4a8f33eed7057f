"""Rule fields that more than one trigger takes: the clock `metric` and the waiting `after`."""

from __future__ import annotations

from escalon.core.rules.base import Parameter
from escalon.core.rules.fields import DurationUs, Metric

METRIC = Parameter("metric", Metric, "a metric", fingerprinted_unset=True)
AFTER = Parameter(
    "after",
    DurationUs,
    "'after'",
    needed="{trigger} needs 'after' (how long to wait), e.g. 30m",
    fingerprinted_unset=True,
)
