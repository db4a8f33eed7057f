"""Scenarios from a real history: every escalated case told again as a script a trainee plays.

The events go through the replay under a policy (the same engine as the live service), so
"escalated" means what the policy did (an `escalate` action) or what a person did (a
`case.escalated` event). Each escalated case becomes one `Scenario`: the customer's messages
on their cues, what happened (texts masked), why it escalated (the skill), how hard it is, and
what is expected of whoever plays it. No I/O: the caller reads the events and writes the files.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from escalon.core.durations import US_PER_SECOND, format_duration
from escalon.core.engine import Action
from escalon.core.events import (
    AgentMessage,
    ApprovalRequested,
    CaseOpened,
    CaseRouted,
    CustomerMessage,
    Event,
    StatusChanged,
    SurveyAnswered,
)
from escalon.core.policy.compiled import Policy
from escalon.core.replay.loop import Replay
from escalon.core.signals import MANAGER_REQUEST, NO_SIGNALS, TextAnalyzer, TextSignals
from escalon.core.state import to_us
from escalon.core.training import phrases
from escalon.core.training.masking import Masker, reference
from escalon.core.training.scenario import MAX_STEPS, MAX_TEXT, SKILLS, Scenario, scenario_from

SourceKind = Literal["twcs", "events", "database"]

# Delays are clamped because a trainee plays a case in one sitting: a customer who really
# answered three days later must still write within minutes. A reply comes at least 30s after
# the trainee's (nobody reads and types faster) and at most 10m after it; silence must last at
# least 2m before the customer writes again (less would punish reading the case) and at most
# 30m (a session is not a shift).
REPLY_DELAY = (30, 10 * 60)
SILENCE_DELAY = (2 * 60, 30 * 60)
# An ignored request is noticed as soon as the reply is read.
IGNORED_DELAY = 60
DEFAULT_FIRST_RESPONSE = 30 * 60
# Sentiment at or below which a message reads annoyed, angry.
ANNOYED_BELOW = -0.2
ANGRY_BELOW = -0.6
# Actions that tell the story of a case; notifications and tags would drown it.
_TOLD_ACTIONS = frozenset({"escalate", "de-escalate", "route", "set_priority", "notify_customer"})
_TIMED_TRIGGERS = frozenset(
    {
        "sla.breach",
        "sla.warning",
        "sla.at_risk",
        "sla.promise_slipping",
        "level.timeout",
        "escalation.unacknowledged",
        "ola.warning",
        "ola.breach",
    }
)
_CHANNELS = frozenset({"email", "chat", "phone", "web", "social", "api"})
_MOODS = ("calm", "annoyed", "angry")
_NO_TEXT = "(no text)"
_LEADING_NAMES = re.compile(r"^(?:(?:\[customer\]|@\w+)[\s,:]*)+")


@dataclass(slots=True)
class _Case:
    """One case of the history as the builder saw it: its events and the replay's actions."""

    opened: CaseOpened
    opened_at: int
    timeline: list[Event | Action] = field(default_factory=list)
    first_response_target: int | None = None  # µs, of the SLA chosen at opening
    # Read from a file rather than the database: when the file records no status of the case
    # (an import), a case it leaves open only went quiet.
    quiet_after: bool = False


@dataclass(slots=True)
class BuildTally:
    """What a build read and made."""

    events: int = 0
    skipped: int = 0
    cases: int = 0
    escalated: int = 0
    by_skill: Counter[str] = field(default_factory=Counter)
    by_difficulty: Counter[int] = field(default_factory=Counter)
    grid: Counter[tuple[str, int]] = field(default_factory=Counter)  # (skill, difficulty)


class ScenarioBuilder:
    """Replays events under a policy and makes a scenario of each escalated case.

    `feed` the events in time order, then iterate `finish()`. `brands` are handles that may
    stay in texts (the authors of agents' messages are added as they come: on TWCS they are
    the brands' own accounts).
    """

    def __init__(
        self,
        policy: Policy,
        *,
        analyzer: TextAnalyzer | None,
        source: SourceKind,
        salt: bytes,
        brands: Iterable[str] = (),
        on_skip: Callable[[int, str], None] | None = None,
    ) -> None:
        self.policy = policy
        self.analyzer = analyzer
        self.source = source
        self.salt = salt
        self.brands: set[str] = set(brands)
        self.tally = BuildTally()
        self._on_skip = on_skip
        self._skipped_now = False
        self._open: dict[str, _Case] = {}
        self._cases: list[_Case] = []
        self._signals: dict[str, TextSignals] = {}
        self._replay = Replay(
            policy, analyzer=analyzer, on_action=self._take_action, on_skip=self._skip
        )

    def feed(self, events: Iterable[Event]) -> None:
        """Apply events in time order (numbered from 1 for the skip messages)."""
        for number, event in enumerate(events, start=self.tally.events + 1):
            self.feed_event(number, event)

    def feed_event(self, number: int, event: Event) -> None:
        """Apply one event (line or row `number` of the source)."""
        self.tally.events += 1
        self._skipped_now = False
        previous = self._open.get(event.case)
        if isinstance(event, CaseOpened):
            record = _Case(event, to_us(event.at), quiet_after=self.source != "database")
            self._open[event.case] = record
        else:
            record = previous  # type: ignore[assignment]
        if record is not None:
            record.timeline.append(event)
        self._replay.feed_event(number, event)
        if self._skipped_now:
            if isinstance(event, CaseOpened):
                if previous is None:
                    del self._open[event.case]
                else:
                    self._open[event.case] = previous
            elif record is not None:
                record.timeline.remove(event)
            return
        if isinstance(event, CaseOpened):
            self._cases.append(record)
            self.tally.cases += 1
            state = self._replay.states[event.case]
            if state.sla is not None:
                record.first_response_target = self.policy.slas[state.sla].targets.get(
                    "first_response"
                )
        elif isinstance(event, AgentMessage) and event.public:
            self.brands.add(event.agent)

    def finish(self, limit: int | None = None) -> Iterator[Scenario]:
        """Fire the remaining timers, then the scenarios of the escalated cases in opening order
        (at most `limit`)."""
        self._replay.finish()
        made = 0
        for record in self._cases:
            if not _escalations(record):
                continue
            self.tally.escalated += 1
            if limit is not None and made >= limit:
                continue  # counted, not built
            masker = Masker.of(brands=self.brands, identities=[record.opened.customer])
            scenario = self._scenario(record, masker)
            self.tally.by_skill[scenario.skill] += 1
            self.tally.by_difficulty[scenario.difficulty] += 1
            self.tally.grid[scenario.skill, scenario.difficulty] += 1
            made += 1
            yield scenario

    def _take_action(self, action: Action) -> None:
        record = self._open.get(action.case)
        if record is not None:
            record.timeline.append(action)

    def _skip(self, number: int, reason: str) -> None:
        self._skipped_now = True
        self.tally.skipped += 1
        if self._on_skip is not None:
            self._on_skip(number, reason)

    def _read(self, text: str) -> TextSignals:
        if self.analyzer is None or not text:
            return NO_SIGNALS
        found = self._signals.get(text)
        if found is None:
            found = self.analyzer.analyze(text)
            if len(self._signals) < 100_000:
                self._signals[text] = found
        return found

    def _scenario(self, record: _Case, masker: Masker) -> Scenario:
        """The scenario of one escalated case."""
        opened = record.opened
        said = [
            item
            for item in record.timeline
            if isinstance(item, CaseOpened | CustomerMessage) and item.body.strip()
        ]
        readings = [self._read(item.body) for item in said]
        language = phrases.language_of(readings[0].language if readings else None)
        script = _script(record, masker, readings)
        skill, also = self._skills(record, readings, script)
        words = phrases.request_words(skill, language)
        escalations = _escalations(record)
        first = escalations[0]
        to_level = _level_of(first)
        levels = [self.policy.level_index.get(_level_of(item) or "", 0) for item in escalations]
        # Judged on what the customer really wrote, before the messages every scenario gains.
        difficulty = _difficulty(len(said), script, max(levels, default=0))
        script += _reactions(skill, language, script, record.first_response_target)
        approval = next(
            (item for item in record.timeline if isinstance(item, ApprovalRequested)), None
        )
        target = record.first_response_target
        expect: dict[str, Any] = {
            "escalate": True,
            "to_level": to_level,
            "first_response": _duration(
                target // US_PER_SECOND if target else DEFAULT_FIRST_RESPONSE
            ),
            "request_words": list(words),
        }
        if approval is not None and approval.amount > 0:
            expect["approval"] = {"kind": approval.kind[:40], "amount": approval.amount}
        opening_text = script[0]["say"]
        ref = reference(opened.case, self.salt)
        data: dict[str, Any] = {
            "scenario": 1,
            "id": f"{self.source}-{skill}-{ref}",
            "title": _title(skill, opening_text),
            "skill": skill,
            "also": also,
            "difficulty": difficulty,
            "summary": _summary(skill, record, first, len(said), opening_text),
            "source": {"kind": self.source, "reference": ref},
            "case": _facts(opened, masker, opening_text),
            "script": script,
            "history": _history(record, masker),
            "outcome": _outcome(record, bool(escalations), self.policy),
            "expect": expect,
        }
        return scenario_from(data, f"<{self.source} case {ref}>")

    def _skills(
        self, record: _Case, readings: list[TextSignals], script: list[dict[str, Any]]
    ) -> tuple[str, list[str]]:
        """The skill the first escalation exercises, and the others the case shows."""
        found: list[str] = []
        for action in _escalations(record):
            found.append(self._skill_of(action, record, readings))
        if any(isinstance(item, CaseRouted) for item in record.timeline) or any(
            isinstance(item, Action) and item.action == "route" for item in record.timeline
        ):
            found.append("functional_handover")
        if any(isinstance(item, ApprovalRequested) for item in record.timeline):
            found.append("refund_above_authority")
        if _reopenings(record):
            found.append("reopened_case")
        if any(MANAGER_REQUEST in reading.intents for reading in readings):
            found.append("manager_request")
        if any(step["when"] == "silence" for step in script):
            found.append("repeat_contact")
        skill, *others = dict.fromkeys(found)
        return skill, [other for other in others if other != skill]

    def _skill_of(self, action: Action, record: _Case, readings: list[TextSignals]) -> str:
        """Why one escalation happened, as a skill: its rule's trigger and conditions, or, for
        a person's escalation, what the detectors read in the customer's messages."""
        rule = next((spec for spec in self.policy.rules if spec.name == action.rule), None)
        if action.trigger == "case.escalated" or rule is None:
            return _detected_skill(record, readings)
        conditions = rule.conditions
        intents = getattr(conditions, "intent", None) or ()
        channels = getattr(conditions, "channel", None) or ()
        if MANAGER_REQUEST in intents:
            return "manager_request"
        if rule.trigger == "approval.requested" or getattr(conditions, "above_authority", None):
            return "refund_above_authority"
        if rule.trigger == "case.opened" and (
            "social" in channels or record.opened.channel == "social"
        ):
            return "public_complaint"
        if getattr(conditions, "sentiment_below", None) is not None or (
            rule.trigger == "customer.sentiment_drop"
        ):
            return "angry_customer"
        if rule.trigger == "case.reopened" or getattr(conditions, "reopened_at_least", None):
            return "reopened_case"
        if any(entry.kind == "route" for entry in rule.do):
            return "functional_handover"
        if rule.trigger in _TIMED_TRIGGERS:
            return "slow_answer"
        return _detected_skill(record, readings)


def build_scenarios(
    events: Iterable[Event],
    policy: Policy,
    *,
    analyzer: TextAnalyzer | None,
    source: SourceKind,
    salt: bytes,
    limit: int | None = None,
    on_skip: Callable[[int, str], None] | None = None,
) -> tuple[list[Scenario], BuildTally]:
    """The scenarios of the escalated cases of `events` (time order), and what was read."""
    builder = ScenarioBuilder(policy, analyzer=analyzer, source=source, salt=salt, on_skip=on_skip)
    builder.feed(events)
    return list(builder.finish(limit)), builder.tally


def _escalations(record: _Case) -> list[Action]:
    return [
        item
        for item in record.timeline
        if isinstance(item, Action)
        and item.action == "escalate"
        and not _after_the_end(item, record)
    ]


# A customer waiting for an answer is what these timers are about: they stay true after the
# history goes quiet (nobody answered at all).
_WAITING_METRICS = frozenset({"first_response", "next_response"})


def _after_the_end(action: Action, record: _Case) -> bool:
    """Whether a timer escalated a case only because its history stopped: an import such as
    TWCS has no statuses, so every thread stays open and its level and resolution timers fire
    long after the conversation ended. Those are not what happened to a customer; a response
    clock running out on a customer nobody answered is."""
    if not record.quiet_after or action.trigger not in _TIMED_TRIGGERS:
        return False
    if any(isinstance(item, StatusChanged) for item in record.timeline):
        return False  # this history does record statuses: a case it leaves open is open
    if action.metric in _WAITING_METRICS:
        return False
    last = max(
        (to_us(item.at) for item in record.timeline if not isinstance(item, Action)),
        default=record.opened_at,
    )
    return action.at > last


def _reopenings(record: _Case) -> int:
    count = 0
    stopped = False
    for item in record.timeline:
        if isinstance(item, StatusChanged):
            if item.status in ("resolved", "closed"):
                stopped = True
            elif stopped:
                count += 1
                stopped = False
    return count


def _level_of(action: Action) -> str | None:
    level = action.details.get("to_level")
    return str(level) if level is not None else None


def _detected_skill(record: _Case, readings: list[TextSignals]) -> str:
    """A person's escalation: the skill the customer's own words and the case's course show."""
    if any(MANAGER_REQUEST in reading.intents for reading in readings):
        return "manager_request"
    if any(isinstance(item, ApprovalRequested) for item in record.timeline):
        return "refund_above_authority"
    if any(isinstance(item, CaseRouted) for item in record.timeline):
        return "functional_handover"
    if record.opened.channel == "social":
        return "public_complaint"
    if _reopenings(record):
        return "reopened_case"
    if any(reading.sentiment <= ANNOYED_BELOW for reading in readings):
        return "angry_customer"
    return "slow_answer"


def _mood(reading: TextSignals) -> str:
    if reading.sentiment <= ANGRY_BELOW:
        return "angry"
    return "annoyed" if reading.sentiment <= ANNOYED_BELOW else "calm"


def _rise(mood: str) -> str:
    return _MOODS[min(_MOODS.index(mood) + 1, len(_MOODS) - 1)]


def _clamp(seconds: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], seconds))


def _duration(seconds: int) -> str:
    return "0s" if seconds <= 0 else format_duration(seconds * US_PER_SECOND)


def _text(masker: Masker, text: str) -> str:
    masked = " ".join(masker.mask(text).split())
    return masked[:MAX_TEXT] if masked else _NO_TEXT


def _script(record: _Case, masker: Masker, readings: list[TextSignals]) -> list[dict[str, Any]]:
    """The opening and each later customer message on its cue, with its delay and mood."""
    steps: list[dict[str, Any]] = []
    last_customer: int | None = None
    last_answer: int | None = None  # the latest public agent message since the customer's
    spoken = iter(readings)
    # Room for the two messages every scenario adds.
    room = MAX_STEPS - 2
    for item in record.timeline:
        if isinstance(item, AgentMessage):
            if item.public and last_customer is not None:
                last_answer = to_us(item.at)
            continue
        if not isinstance(item, CaseOpened | CustomerMessage) or not item.body.strip():
            continue
        reading = next(spoken)
        at = to_us(item.at)
        mood = _mood(reading)
        if last_customer is None:
            step = {"when": "start", "after": "0s", "say": _text(masker, item.body), "mood": mood}
        elif last_answer is not None:
            delay = _clamp((at - last_answer) // US_PER_SECOND, REPLY_DELAY)
            step = {"when": "reply", "after": _duration(delay), "say": _text(masker, item.body)}
            step["mood"] = mood
        else:
            delay = _clamp((at - last_customer) // US_PER_SECOND, SILENCE_DELAY)
            # Writing again unanswered is annoyed at least, whatever the words.
            mood = mood if mood != "calm" else "annoyed"
            step = {"when": "silence", "after": _duration(delay), "say": _text(masker, item.body)}
            step["mood"] = mood
        if len(steps) < room:
            steps.append(step)
        last_customer = at
        last_answer = None
    if not steps:
        subject = record.opened.subject.strip()
        steps.append({"when": "start", "after": "0s", "say": _text(masker, subject)})
    return steps


def _reactions(
    skill: str, language: str, script: list[dict[str, Any]], target: int | None
) -> list[dict[str, Any]]:
    """The angrier messages a trainee can bring on that the history lacks."""
    highest = max(_MOODS.index(step.get("mood", "calm")) for step in script)
    silence_mood = _rise(_MOODS[highest])
    # The customer writes again when the case's own first-response target would be missed,
    # inside the bounds a session allows.
    wait = target // US_PER_SECOND if target else DEFAULT_FIRST_RESPONSE
    added = [
        {
            "when": "silence",
            "after": _duration(_clamp(wait, SILENCE_DELAY)),
            "say": phrases.silence_message(skill, language),
            "mood": silence_mood,
        }
    ]
    ignored = phrases.ignored_message(skill, language)
    if ignored is not None:
        added.append(
            {
                "when": "ignored",
                "after": _duration(IGNORED_DELAY),
                "say": ignored,
                "mood": _rise(silence_mood),
            }
        )
    return added


def _difficulty(messages: int, script: list[dict[str, Any]], level: int) -> int:
    """1..3: more customer messages, an angrier customer and a higher level make it harder."""
    points = 0 if messages <= 1 else 1 if messages <= 4 else 2
    moods = [_MOODS.index(step.get("mood", "calm")) for step in script]
    points += max(moods, default=0)
    # Past the first level above the front line counts once: unacknowledged escalations climb
    # on their own in many histories, and would make every case hard.
    points += 1 if level >= 2 else 0
    return 1 if points <= 1 else 2 if points <= 3 else 3


def _facts(opened: CaseOpened, masker: Masker, opening_text: str) -> dict[str, Any]:
    channel = opened.channel or "email"
    subject = _text(masker, opened.subject) if opened.subject.strip() else opening_text
    facts: dict[str, Any] = {
        # A channel the format does not name came through some other system: an API.
        "channel": channel if channel in _CHANNELS else "api",
        "tier": (opened.tier or "standard")[:40],
        "subject": _first_words(subject, 120),
    }
    if opened.category:
        facts["category"] = opened.category[:80]
    if opened.priority and len(opened.priority) <= 20:
        facts["priority"] = opened.priority
    return facts


def _history(record: _Case, masker: Masker) -> list[dict[str, Any]]:
    """What really happened, seconds from the opening: messages (masked) and the policy's acts."""
    happened: list[dict[str, Any]] = []
    for item in record.timeline:
        if isinstance(item, Action) and _after_the_end(item, record):
            break  # the history stopped here; the rest is timers on a case left open
        entry = _happened(item, masker)
        if entry is None:
            continue
        at = item.at if isinstance(item, Action) else to_us(item.at)
        entry["after"] = _duration(max(0, at - record.opened_at) // US_PER_SECOND)
        happened.append(entry)
        if len(happened) == 200:  # the format's bound; the start of a case tells the most
            break
    return happened


def _happened(item: Event | Action, masker: Masker) -> dict[str, Any] | None:
    if isinstance(item, Action):
        return _told_action(item, masker)
    if isinstance(item, CaseOpened):
        return {"who": "customer", "what": "opened the case", "text": _text(masker, item.body)}
    if isinstance(item, CustomerMessage):
        return {"who": "customer", "what": "wrote", "text": _text(masker, item.body)}
    if isinstance(item, AgentMessage):
        if not item.public:
            return None  # internal notes are not part of what the customer lived
        return {"who": "agent", "what": "replied", "text": _text(masker, item.body)}
    if isinstance(item, StatusChanged):
        return {"who": "agent", "what": f"set the status to {item.status}"}
    if isinstance(item, ApprovalRequested):
        return {"who": "agent", "what": f"asked to approve a {item.kind[:40]} of {item.amount:g}"}
    if isinstance(item, SurveyAnswered):
        return {"who": "customer", "what": f"rated the service {item.score}/5"}
    return None


def _told_action(action: Action, masker: Masker) -> dict[str, Any] | None:
    if action.action not in _TOLD_ACTIONS:
        return None
    details = action.details
    if action.action in ("escalate", "de-escalate"):
        done = f"{action.action}d to {details.get('to_level')}"
    elif action.action == "route":
        done = f"routed to {details.get('to_team')}"
    elif action.action == "set_priority":
        done = f"set the priority to {details.get('to')}"
    else:
        done = f"told the customer ({details.get('template')})"
    if action.rule == "manual":
        reason = str(details.get("reason") or "")
        entry: dict[str, Any] = {"who": "agent", "what": done[:200]}
        if reason.strip():
            entry["text"] = _text(masker, reason)
        return entry
    return {"who": "policy", "what": f"{done} (rule '{action.rule}')"[:200]}


def _outcome(record: _Case, escalated: bool, policy: Policy) -> dict[str, Any]:
    level = policy.levels[0].name
    status = "open"
    answered: int | None = None
    resolved: int | None = None
    for item in record.timeline:
        if isinstance(item, Action) and _after_the_end(item, record):
            break
        if isinstance(item, Action) and item.action in ("escalate", "de-escalate"):
            level = str(item.details.get("to_level") or level)
        elif isinstance(item, StatusChanged):
            status = item.status
            if status in ("resolved", "closed"):
                resolved = to_us(item.at)
        elif isinstance(item, AgentMessage) and item.public and answered is None:
            answered = to_us(item.at)
    outcome: dict[str, Any] = {"escalated": escalated, "level": level[:80], "status": status}
    if answered is not None:
        outcome["answered_after"] = _duration((answered - record.opened_at) // US_PER_SECOND)
    if resolved is not None and status in ("resolved", "closed"):
        outcome["resolved_after"] = _duration((resolved - record.opened_at) // US_PER_SECOND)
    return outcome


def _first_words(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"


def _title(skill: str, opening: str) -> str:
    sentence = SKILLS[skill]
    # The words, not the handles and placeholders a tweet starts with.
    words = _LEADING_NAMES.sub("", opening) or opening
    return f"{sentence[0].upper()}{sentence[1:]}: “{_first_words(words, 60)}”"


def _summary(skill: str, record: _Case, first: Action, messages: int, opening: str) -> str:
    channel = record.opened.channel or "email"
    if first.rule == "manual":
        why = f"a person escalated it to {_level_of(first)}"
    else:
        why = f"the policy escalated it to {_level_of(first)} (rule '{first.rule}')"
    delay = max(0, first.at - record.opened_at) // US_PER_SECOND
    after = f"{_duration(delay)} after the opening" if delay else "at the opening"
    plural = "message" if messages == 1 else "messages"
    return (
        f"Practice {SKILLS[skill]}. The customer opened the case on {channel} with "
        f"“{_first_words(opening, 160)}” and wrote {messages} {plural} in all; {why} "
        f"{after}."
    )
