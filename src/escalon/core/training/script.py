"""When the scenario's customer writes next: the script's cues read against what the trainee did.

Everything is in µs since the session began, on the sandbox's clock. A `reply` step answers the
trainee's reply of the same rank; a `silence` step comes when the customer's latest message has
waited its `after` with no public reply; an `ignored` step comes `after` a reply that did not
take up the customer's request (none of the request's words, and no escalation before it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from escalon.core.training.scenario import Scenario
from escalon.core.training.tone import fold

US_PER_SECOND = 1_000_000


@dataclass(frozen=True, slots=True)
class Said:
    """One message of the conversation so far: when, by whom, and (for the customer's) which
    step of the script it was."""

    at: int
    by_customer: bool
    text: str = ""
    step: int | None = None


@dataclass(frozen=True, slots=True)
class Due:
    """A step of the script and the instant it is due."""

    step: int
    at: int


@lru_cache(maxsize=256)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(fold(word)) for word in words)
    # A word also matches with a plural or tense ending (manager → managers, escalate →
    # escalated, Chef → Chefs), never as the stem of another word (manager ↛ managerial).
    return re.compile(
        rf"(?<!\w)(?:{alternatives})(?:s|es|e|en|n|ed|d|ing|'s)?(?!\w)", re.IGNORECASE
    )


def request_named(text: str, words: tuple[str, ...]) -> tuple[int, int] | None:
    """Where a reply names the customer's request (any of `words`), or None."""
    pattern = _words_pattern(tuple(words))
    found = None if pattern is None else pattern.search(fold(text))
    return None if found is None else found.span()


def takes_up(text: str, words: tuple[str, ...]) -> bool:
    """Whether a reply names the customer's request (always, when it has no words)."""
    return not words or request_named(text, words) is not None


def due_steps(
    scenario: Scenario,
    conversation: list[Said],
    *,
    escalated_at: int | None,
    scripted: bool = True,
) -> list[Due]:
    """The steps not yet sent and the instant each is due, earliest first.

    `conversation` is every public message so far in time order (the customer's carry the step
    they were); `escalated_at` is when the trainee first escalated the case. Without `scripted`
    (a supervisor plays the customer) nothing further is due.
    """
    if not scripted:
        return []
    sent = {said.step for said in conversation if said.step is not None}
    replies = [said for said in conversation if not said.by_customer]
    due: list[Due] = []
    words = scenario.expect.request_words
    reply_steps = [
        index for index, step in enumerate(scenario.script) if index and step.when == "reply"
    ]
    for rank, index in enumerate(reply_steps):
        if index in sent:
            continue
        if rank < len(replies):
            due.append(Due(index, replies[rank].at + scenario.script[index].after * US_PER_SECOND))
        break  # a reply step waits for the ones before it
    # The request is taken up by the first reply that names it or the trainee's escalation;
    # replies before that ignored it, and an angrier message is due only if nothing took the
    # request up before it would arrive.
    taken_up = min(
        [reply.at for reply in replies if takes_up(reply.text, words)]
        + ([escalated_at] if escalated_at is not None else []),
        default=None,
    )
    ignoring = [reply for reply in replies if taken_up is None or reply.at < taken_up]
    ignored_steps = [
        index for index, step in enumerate(scenario.script) if index and step.when == "ignored"
    ]
    for rank, index in enumerate(ignored_steps):
        if index in sent:
            continue
        if rank < len(ignoring):
            at = ignoring[rank].at + scenario.script[index].after * US_PER_SECOND
            if taken_up is None or at < taken_up:
                due.append(Due(index, at))
        break
    silence = _silence_due(scenario, conversation, sent)
    if silence is not None:
        due.append(silence)
    return sorted(due, key=lambda item: (item.at, item.step))


def _silence_due(scenario: Scenario, conversation: list[Said], sent: set[int]) -> Due | None:
    """The next `silence` step, when the customer's latest message is still unanswered."""
    if not conversation or not conversation[-1].by_customer:
        return None
    for index, step in enumerate(scenario.script):
        if index and step.when == "silence" and index not in sent:
            return Due(index, conversation[-1].at + step.after * US_PER_SECOND)
    return None
