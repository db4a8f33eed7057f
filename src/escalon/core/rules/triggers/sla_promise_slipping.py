"""`sla.promise_slipping`: the forecast answer comes later than the customer was promised.

Acknowledgements and `notify_customer` messages promise the later of the clock's due instant and
the forecast's answer instant. At the same looks as `sla.at_risk` (each tenth of the target,
before the due instant and so before the promise), the engine compares a fresh forecast with the
promise; a rule fires once per promise, and telling the customer again (`notify_customer`) makes
a new, later promise. The policy setting for "tell the customer before the promise breaks".
"""

from __future__ import annotations

from escalon.core.rules.timed import clock_trigger

RULE = clock_trigger(
    "sla.promise_slipping",
    state="answer is forecast to come later than promised",
    cause="the {metric} answer will come later than the customer was told",
    headline="{metric} promise slipping",
    urgent=False,
)
