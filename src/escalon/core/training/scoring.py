"""The score of a practice session, out of 100, with the reasons a trainee reads (docs/training.md).

Five criteria, each with its points: how fast the customer was answered (25), whether the
escalation decision matched what the scenario expects (25), whether decisions such as refunds
were taken or passed up as the trainee's authority requires (15), the tone of the replies (25)
and the resolution (10). Pure and deterministic: the same scenario and attempt always give the
same feedback, word for word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from escalon.core.durations import US_PER_MINUTE, US_PER_SECOND
from escalon.core.signals import TextAnalyzer
from escalon.core.state import STOPPED_STATUSES
from escalon.core.training.attempt import Attempt, Escalation, Reply
from escalon.core.training.scenario import Approval, Scenario
from escalon.core.training.script import request_named
from escalon.core.training.tone import Finding, Tone, read_tone, sentence_around

RESPONSE_TIME = "response_time"
ESCALATION = "escalation"
AUTHORITY = "authority"
TONE = "tone"
RESOLUTION = "resolution"
# The criteria in the order feedback lists them, with their points; they add up to 100.
WEIGHTS: dict[str, int] = {
    RESPONSE_TIME: 25,
    ESCALATION: 25,
    AUTHORITY: 15,
    TONE: 25,
    RESOLUTION: 10,
}
LABELS: dict[str, str] = {
    RESPONSE_TIME: "response time",
    ESCALATION: "the escalation decision",
    AUTHORITY: "use of authority",
    TONE: "tone",
    RESOLUTION: "resolution",
}

# Response time: the first answer weighs more than the later ones.
FIRST_REPLY_POINTS = 15
FOLLOW_UP_POINTS = WEIGHTS[RESPONSE_TIME] - FIRST_REPLY_POINTS
# A late first answer keeps at most this share of its points, falling to LATE_FLOOR when it is as
# late again as the whole target; any answer is worth more than none.
LATE_SHARE = 0.8
LATE_FLOOR = 0.2
# Shorter targets than this are read as this long, so a zero target cannot divide by zero.
MIN_TARGET = US_PER_MINUTE

# Escalation: what a wrong level, lateness (at most) and an unneeded escalation cost or leave.
WRONG_LEVEL_COST = 10
LATE_ESCALATION_COST = 8
UNNEEDED_ESCALATION_POINTS = 5

# Authority: passing up a decision the trainee could take, or escalating instead of requesting.
PASSED_UP_WITHIN_POINTS = 8
ESCALATED_INSTEAD_POINTS = 8

# Tone: the share of each check in the criterion's points.
TONE_CHECKS: dict[str, int] = {
    "acknowledges": 7,
    "no_blame": 6,
    "not_dismissive": 4,
    "next_step": 4,
    "request": 4,
}

# Resolution: resolving as expected, and naming a root cause.
RESOLVED_POINTS = 8
ROOT_CAUSE_POINTS = WEIGHTS[RESOLUTION] - RESOLVED_POINTS
PREMATURE_RESOLUTION_POINTS = 5

# How much of a quoted reply a reason shows.
MAX_QUOTE = 160


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion's result: its points, out of how many, a verdict word and the reasons."""

    name: str
    points: int
    out_of: int
    verdict: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The criterion as JSON-ready data."""
        return {
            "name": self.name,
            "label": LABELS.get(self.name, self.name),
            "points": self.points,
            "out_of": self.out_of,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class Feedback:
    """The score of one session: the total out of 100, each criterion and a one-line summary."""

    scenario: str
    total: int
    criteria: tuple[Criterion, ...]
    summary: str

    def criterion(self, name: str) -> Criterion:
        """One criterion by name; KeyError when there is none of that name."""
        for criterion in self.criteria:
            if criterion.name == name:
                return criterion
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """The feedback as JSON-ready data (what `escalon training score --json` prints)."""
        return {
            "scenario": self.scenario,
            "total": self.total,
            "out_of": sum(criterion.out_of for criterion in self.criteria),
            "summary": self.summary,
            "criteria": [criterion.as_dict() for criterion in self.criteria],
        }


def verdict(points: int, out_of: int) -> str:
    """The word for a share of points: excellent, good, fair, poor or missed."""
    if points >= out_of:
        return "excellent"
    if points <= 0:
        return "missed"
    share = points / out_of
    if share >= 0.7:
        return "good"
    if share >= 0.4:
        return "fair"
    return "poor"


def score(
    scenario: Scenario, attempt: Attempt, *, analyzer: TextAnalyzer | None = None
) -> Feedback:
    """The feedback on one practice session of `scenario`."""
    session = _Session.of(scenario, attempt)
    criteria = (
        _response_time(session),
        _escalation(session),
        _authority(session),
        _tone(session, analyzer),
        _resolution(session),
    )
    total = max(0, min(100, sum(criterion.points for criterion in criteria)))
    return Feedback(scenario.id, total, criteria, _summary(total, criteria))


@dataclass(frozen=True, slots=True)
class _Session:
    """The facts every criterion reads, worked out once."""

    scenario: Scenario
    attempt: Attempt
    opening: int
    due: int
    target: int
    public: tuple[Reply, ...]
    mine: tuple[Escalation, ...]
    policy: tuple[Escalation, ...]

    @classmethod
    def of(cls, scenario: Scenario, attempt: Attempt) -> _Session:
        opening = min(attempt.customer_messages, default=0)
        due = attempt.first_response_due
        if due is None:
            due = opening + scenario.expect.first_response * US_PER_SECOND
        escalations = sorted(attempt.escalations, key=lambda escalation: escalation.at)
        return cls(
            scenario=scenario,
            attempt=attempt,
            opening=opening,
            due=due,
            target=max(due - opening, MIN_TARGET),
            public=tuple(sorted((reply for reply in attempt.replies if reply.public), key=_at)),
            mine=tuple(escalation for escalation in escalations if escalation.by_trainee),
            policy=tuple(escalation for escalation in escalations if not escalation.by_trainee),
        )

    @property
    def first_reply(self) -> Reply | None:
        return self.public[0] if self.public else None

    @property
    def answered_late(self) -> bool:
        """Whether the customer had no public answer when the first one was due."""
        first = self.first_reply
        return first is None or first.at > self.due

    def since_opening(self, at: int) -> str:
        return minutes(at - self.opening)


def _at(reply: Reply) -> int:
    return reply.at


def minutes(us: int) -> str:
    """A span in minutes as a trainee reads it: `1 minute`, `4.5 minutes`, `32 minutes`."""
    value = us / US_PER_MINUTE
    # Whole minutes from ten on; adding 0.0 turns a rounded -0.0 into 0.
    number = str(round(value)) if abs(value) >= 10 else f"{round(value, 1) + 0.0:g}"
    return f"{number} minute" if number in ("1", "-1") else f"{number} minutes"


def _criterion(name: str, points: int, reasons: Sequence[str]) -> Criterion:
    out_of = WEIGHTS[name]
    points = max(0, min(out_of, points))
    return Criterion(name, points, out_of, verdict(points, out_of), tuple(reasons))


# Response time -------------------------------------------------------------------------------


def _response_time(session: _Session) -> Criterion:
    attempt = session.attempt
    first = session.first_reply
    target_text = minutes(session.due - session.opening)
    if first is None:
        reasons = [
            f"You never answered the customer: the first answer was due after {target_text} "
            f"and the session ended after {session.since_opening(attempt.finished_at)}."
        ]
        notes = sum(1 for reply in attempt.replies if not reply.public)
        if notes:
            reasons.append(
                f"Your {_count(notes, 'internal note')} did not reach the customer: only a "
                "public reply counts as an answer."
            )
        return _criterion(RESPONSE_TIME, 0, reasons)
    reasons = []
    if first.at <= session.due:
        first_points = FIRST_REPLY_POINTS
        reasons.append(
            f"Your first answer came after {session.since_opening(first.at)}, within the "
            f"target of {target_text}."
        )
    else:
        late = first.at - session.due
        share = max(LATE_FLOOR, LATE_SHARE * (1 - late / session.target))
        first_points = round(FIRST_REPLY_POINTS * share)
        reasons.append(
            f"Your first answer came after {session.since_opening(first.at)}, {minutes(late)} "
            f"after it was due (the target was {target_text})."
        )
    follow_points, follow_reasons = _follow_ups(session, first)
    reasons.extend(follow_reasons)
    return _criterion(RESPONSE_TIME, first_points + follow_points, reasons)


def follow_up_window(scenario: Scenario, target: int) -> int:
    """How long a later customer message may wait for an answer, in µs.

    The customer of the scenario writes again after its shortest `silence` cue: answering
    before that is answering before the customer has to chase. A scenario without one uses the
    first-response target. Never shorter than a minute.
    """
    patience = [step.after * US_PER_SECOND for step in scenario.steps_on("silence")]
    window = min([target, *patience]) if patience else target
    return max(window, MIN_TARGET)


def _follow_ups(session: _Session, first: Reply) -> tuple[int, list[str]]:
    """Points and reasons for the customer messages that came after the first answer (those
    before it are the first answer's business)."""
    attempt = session.attempt
    window = follow_up_window(session.scenario, session.target)
    counted = in_time = 0
    slowest: tuple[int, int, int | None] | None = None  # (wait, arrival, answered at)
    for arrival in sorted(attempt.customer_messages):
        if arrival <= first.at:
            continue
        answer = next((reply for reply in session.public if reply.at >= arrival), None)
        if answer is None and attempt.finished_at - arrival < window:
            continue  # the session ended while the answer still had time
        counted += 1
        wait = (answer.at if answer is not None else attempt.finished_at) - arrival
        if answer is not None and wait <= window:
            in_time += 1
        elif slowest is None or wait > slowest[0]:
            slowest = (wait, arrival, None if answer is None else answer.at)
    if counted == 0:
        return FOLLOW_UP_POINTS, []
    points = round(FOLLOW_UP_POINTS * in_time / counted)
    reasons = [
        f"Later messages: {in_time} of {counted} answered within {minutes(window)} "
        f"({_window_source(session.scenario)})."
    ]
    if slowest is not None:
        wait, arrival, answered = slowest
        if answered is None:
            reasons.append(
                f"The message at {session.since_opening(arrival)} was never answered "
                f"({minutes(wait)} until the session ended)."
            )
        else:
            reasons.append(
                f"The message at {session.since_opening(arrival)} waited {minutes(wait)} for "
                "an answer."
            )
    return points, reasons


def _window_source(scenario: Scenario) -> str:
    if scenario.steps_on("silence"):
        return "how long this customer waits before writing again, or the target if shorter"
    return "the first-response target"


# Escalation ----------------------------------------------------------------------------------


def _escalation(session: _Session) -> Criterion:
    expect = session.scenario.expect
    policy_note = _policy_note(session)
    if not expect.escalate:
        if not session.mine:
            reasons = ["You kept the case at your level, as this case needs."]
            return _criterion(ESCALATION, WEIGHTS[ESCALATION], reasons + policy_note)
        first = session.mine[0]
        reasons = [
            f"You escalated to {first.to_level} after {session.since_opening(first.at)}, but "
            "this case could be handled at your level: an unnecessary escalation."
        ]
        return _criterion(ESCALATION, UNNEEDED_ESCALATION_POINTS, reasons + policy_note)
    wanted = expect.to_level or "a higher level"
    if not session.mine:
        reasons = [f"You did not escalate; this case needed escalating to {wanted}."]
        return _criterion(ESCALATION, 0, reasons + policy_note)
    decision = session.mine[0]
    points = WEIGHTS[ESCALATION]
    because = f" (your reason: {_quote(decision.reason)})" if decision.reason else ""
    reasons = [
        f"You escalated to {decision.to_level} after {session.since_opening(decision.at)}"
        f"{because}, as this case needs."
    ]
    if expect.to_level is not None and not any(
        escalation.to_level == expect.to_level for escalation in session.mine
    ):
        points -= WRONG_LEVEL_COST
        reasons[0] = (
            f"You escalated to {decision.to_level} after {session.since_opening(decision.at)}"
            f"{because}, but this case needed {expect.to_level}."
        )
    needed_by = session.due
    beaten = next((step for step in session.policy if step.at < decision.at), None)
    if beaten is not None:
        needed_by = min(needed_by, beaten.at)
    if decision.at > needed_by:
        late = decision.at - needed_by
        points -= max(1, round(LATE_ESCALATION_COST * min(1.0, late / session.target)))
        when = (
            "the policy escalated before you did"
            if beaten is not None and beaten.at == needed_by
            else "the first answer was due by then"
        )
        reasons.append(
            f"That was {minutes(late)} later than needed: the case needed to move up by "
            f"{session.since_opening(needed_by)} ({when})."
        )
    return _criterion(ESCALATION, points, reasons + policy_note)


def _policy_note(session: _Session) -> list[str]:
    """What the policy escalated, said plainly as not the trainee's decision."""
    if not session.policy:
        return []
    step = session.policy[0]
    rule = f" (rule {step.rule})" if step.rule else ""
    cause = ""
    if step.at >= session.due and session.answered_late:
        cause = " because the customer had no answer when the first one was due"
    return [
        f"The policy escalated the case to {step.to_level} after "
        f"{session.since_opening(step.at)}{rule}{cause}; that was the policy's doing, not your "
        "decision."
    ]


# Authority -----------------------------------------------------------------------------------


def _authority(session: _Session) -> Criterion:
    attempt = session.attempt
    overreach = next(
        (
            move
            for move in attempt.approvals
            if move.decided_by_trainee and not move.within_authority
        ),
        None,
    )
    if overreach is not None:
        return _criterion(
            AUTHORITY,
            0,
            [
                f"You decided a {overreach.kind} of {_amount(overreach.amount)} yourself, above "
                f"{_limit_text(attempt, overreach.kind)}: it needed approval from above."
            ],
        )
    wanted = session.scenario.expect.approval
    if wanted is None:
        decided = [move for move in attempt.approvals if move.decided_by_trainee]
        reason = (
            "Your decisions stayed within your authority."
            if decided
            else "Nothing in this case called for your authority, and you used none beyond it."
        )
        return _criterion(AUTHORITY, WEIGHTS[AUTHORITY], [reason])
    return _expected_approval(session, wanted)


def _expected_approval(session: _Session, wanted: Approval) -> Criterion:
    attempt = session.attempt
    moves = [move for move in attempt.approvals if move.kind == wanted.kind]
    what = f"a {wanted.kind} of {_amount(wanted.amount)}"
    limit = _limit(attempt, wanted.kind)
    limit_text = _limit_text(attempt, wanted.kind)
    if limit is not None and wanted.amount > limit:
        if any(move.requested for move in moves):
            reason = f"You passed {what} up for approval, as it is above {limit_text}."
            return _criterion(AUTHORITY, WEIGHTS[AUTHORITY], [reason])
        if session.mine:
            reason = (
                f"You escalated the case but did not request approval of {what}, which is above "
                f"{limit_text}: a request lets the approver decide it directly."
            )
            return _criterion(AUTHORITY, ESCALATED_INSTEAD_POINTS, [reason])
        reason = (
            f"The customer asked for {what}, above {limit_text}, and you neither requested "
            "approval nor escalated."
        )
        return _criterion(AUTHORITY, 0, [reason])
    if any(move.decided_by_trainee for move in moves):
        reason = f"You decided {what} yourself, within {limit_text}."
        return _criterion(AUTHORITY, WEIGHTS[AUTHORITY], [reason])
    if any(move.requested for move in moves):
        reason = (
            f"You passed {what} up although it is within {limit_text}: deciding it yourself "
            "would have spared the customer a wait."
        )
        return _criterion(AUTHORITY, PASSED_UP_WITHIN_POINTS, [reason])
    reason = f"You left {what} undecided, although it is within {limit_text}."
    return _criterion(AUTHORITY, 0, [reason])


def _limit(attempt: Attempt, kind: str) -> float | None:
    """The trainee's limit for a kind of decision (None: unlimited; no entry: no authority)."""
    return attempt.authority.get(kind, 0.0)


def _limit_text(attempt: Attempt, kind: str) -> str:
    limit = _limit(attempt, kind)
    if limit is None:
        return f"your authority (no limit on a {kind})"
    if limit <= 0:
        return f"your authority (you may decide no {kind} yourself)"
    return f"your authority of {_amount(limit)} for a {kind}"


def _amount(value: float) -> str:
    return f"{value:,.2f}"


# Tone ----------------------------------------------------------------------------------------


def _tone(session: _Session, analyzer: TextAnalyzer | None) -> Criterion:
    if not session.public:
        return _criterion(TONE, 0, ["There is no reply to the customer whose tone could be read."])
    tones = [read_tone(reply.text, analyzer) for reply in session.public]
    words = session.scenario.expect.request_words
    checks = {name: weight for name, weight in TONE_CHECKS.items() if name != "request" or words}
    earned: dict[str, bool] = {}
    reasons: list[str] = []

    acknowledged = _first_findings(tones, "acknowledges", 1)
    earned["acknowledges"] = bool(acknowledged)
    if acknowledged:
        reasons.append(
            _sentence(f"You acknowledged the customer's feeling: {_quote(acknowledged[0].example)}")
        )
    else:
        reasons.append(
            "None of your replies acknowledged how the customer feels or the trouble they had "
            "(for example “I'm sorry for the trouble” or “I understand how frustrating this is”)."
        )
    blamed = _first_findings(tones, "blames", 2)
    earned["no_blame"] = not blamed
    if blamed:
        reasons.append(
            _sentence(
                "You put the blame on the customer or on someone else: "
                + "; ".join(_quote(finding.example) for finding in blamed)
            )
        )
    dismissed = _first_findings(tones, "dismissive", 2)
    earned["not_dismissive"] = not dismissed
    if dismissed:
        reasons.append(
            _sentence(
                "This sounds dismissive to an upset customer: "
                + "; ".join(_quote(finding.example) for finding in dismissed)
            )
        )
    if not blamed and not dismissed:
        reasons.append("You blamed no one and dismissed nothing.")
    steps = _first_findings(tones, "next_step", 1)
    earned["next_step"] = bool(steps)
    if steps:
        reasons.append(_sentence(f"You gave a clear next step: {_quote(steps[0].example)}"))
    else:
        reasons.append(
            "No reply said what happens next, who does it or by when (for example “I will "
            "call you back by 3 pm”)."
        )
    if words:
        taken, reason = _request_taken_up(session, words)
        earned["request"] = taken
        reasons.append(reason)
    if analyzer is not None:
        sentiments = [tone.sentiment for tone in tones if tone.sentiment is not None]
        if sentiments:
            average = sum(sentiments) / len(sentiments)
            reasons.append(
                f"The sentiment analyzer reads your replies at {average:+.2f} on average (from "
                "-1 to +1); it is shown for context and does not change the points."
            )
    got = sum(weight for name, weight in checks.items() if earned.get(name))
    points = round(WEIGHTS[TONE] * got / sum(checks.values()))
    return _criterion(TONE, points, reasons)


def _first_findings(tones: Sequence[Tone], detector: str, limit: int) -> list[Finding]:
    found: list[Finding] = []
    for tone in tones:
        for finding in tone.found(detector):
            if finding.example not in (seen.example for seen in found):
                found.append(finding)
            if len(found) == limit:
                return found
    return found


def _request_taken_up(session: _Session, words: Sequence[str]) -> tuple[bool, str]:
    first = session.first_reply
    listed = ", ".join(words)
    if first is not None and session.mine and session.mine[0].at <= first.at:
        return True, "You escalated before replying, which takes up what the customer asked for."
    for reply in session.public:
        span = request_named(reply.text, tuple(words))
        if span is not None:
            example = sentence_around(reply.text, *span)
            return True, _sentence(
                f"You took up what the customer asked for ({listed}): {_quote(example)}"
            )
    if session.mine and session.scenario.expect.escalate:
        return True, "You escalated the case, which takes up what the customer asked for."
    return False, f"None of your replies took up what the customer asked for ({listed})."


def _sentence(text: str) -> str:
    """A reason ending in a quote gets its full stop only when the quote has none of its own."""
    return text if text.endswith(_CLOSED_QUOTES) else text + "."


_CLOSED_QUOTES = tuple(f"{mark}\u201d" for mark in ".!?\u2026")


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_QUOTE:
        text = text[: MAX_QUOTE - 1].rstrip() + "\u2026"
    return f"\u201c{text}\u201d"


# Resolution ----------------------------------------------------------------------------------


def _resolution(session: _Session) -> Criterion:
    attempt = session.attempt
    resolved = attempt.resolved_at is not None or attempt.status in STOPPED_STATUSES
    when = (
        f" after {session.since_opening(attempt.resolved_at)}"
        if attempt.resolved_at is not None
        else ""
    )
    if not session.scenario.expect.resolve:
        if resolved:
            reason = (
                f"You resolved the case{when}, but this one was meant to stay open for the team "
                "it was handed to."
            )
            return _criterion(RESOLUTION, PREMATURE_RESOLUTION_POINTS, [reason])
        reason = "You left the case open for the team it belongs with, as expected."
        return _criterion(RESOLUTION, WEIGHTS[RESOLUTION], [reason])
    points = 0
    if resolved:
        points += RESOLVED_POINTS
        reasons = [f"You resolved the case{when}."]
    else:
        reasons = [
            f"The case was still {attempt.status} when the session ended; it should be resolved."
        ]
    if attempt.root_cause:
        points += ROOT_CAUSE_POINTS
        reasons.append(_sentence(f"You recorded a root cause: {_quote(attempt.root_cause)}"))
    else:
        reasons.append("No root cause was recorded: naming one helps stop it happening again.")
    return _criterion(RESOLUTION, points, reasons)


# Summary -------------------------------------------------------------------------------------


def _summary(total: int, criteria: Sequence[Criterion]) -> str:
    strong = [criterion for criterion in criteria if criterion.points >= criterion.out_of]
    weak = sorted(
        (criterion for criterion in criteria if criterion.points < 0.7 * criterion.out_of),
        key=lambda criterion: (criterion.points / criterion.out_of, criterion.name),
    )
    if len(strong) == len(criteria):
        return f"{total} out of 100: full marks on every criterion."
    parts = []
    if strong:
        parts.append("strong on " + _join([LABELS[c.name] for c in strong]))
    if weak:
        parts.append("work on " + _join([LABELS[c.name] for c in weak]) + " first")
    else:
        partial = [LABELS[c.name] for c in criteria if c.points < c.out_of]
        parts.append("a few points lost on " + _join(partial))
    return f"{total} out of 100: " + "; ".join(parts) + "."


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
