"""Progress, gaps and certificates: what each person practised, how it went, and what to practise.

Pure reads over the practice sessions and the cases (nothing here writes or commits). A
person's progress counts their finished sessions, scripted and role-played alike: best and
latest score per skill, the average by ISO week, the criterion they lose most points on, and
the time spent. Their training needs come from real work (`escalon.analytics.coaching`'s gaps
and a few figures read from the cases, each called only when clearly above their peers') and
from practice (a skill tried and not yet passed); each need names why, with its figure, and
offers listed scenarios of its skill that the person has not yet passed, recommended first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from escalon.analytics.coaching import APART_MINIMUM, coaching
from escalon.auth.models import User
from escalon.cases.models import AuditEntry, Case, ClockEvent, Escalation
from escalon.core.state import from_us
from escalon.core.statistics import clearly_apart
from escalon.core.training.scenario import SKILLS
from escalon.core.training.scoring import LABELS, WEIGHTS
from escalon.errors import NotFound
from escalon.people.models import Agent
from escalon.training.models import PracticeSession, TrainingScenario

# A skill (or a scenario) is passed once a finished session of it scored at least this.
PASSED = 70
# Real work is read over this many days before now.
GAP_DAYS = 30
# How many scenarios a suggestion offers.
OFFERED = 3
DAY_US = 86_400 * 1_000_000

# A category gap turns into the skill whose scenarios train what that category's cases ask for,
# when the library has no scenario of the category itself. Refunds, billing and charges are
# decisions with an amount: knowing what you may grant yourself and what to pass up is what the
# refund-above-authority scenarios practise. Complaints made in public, deliveries and outages
# bring angry customers; technical categories need the hand-over to the team that knows.
CATEGORY_SKILLS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("refund", "billing", "charge", "payment", "invoice"), "refund_above_authority"),
    (("complaint", "social", "review", "public"), "public_complaint"),
    (("technical", "bug", "outage", "integration", "api", "login"), "functional_handover"),
    (("delivery", "shipping", "order", "damaged"), "angry_customer"),
)


@dataclass(frozen=True, slots=True)
class Person:
    """Whom a page or command is about: a user (who may practise), their agent, or both."""

    key: str  # the username, or the agent's handle when the agent has no user
    user_id: int | None
    username: str | None
    handle: str | None
    label: str


@dataclass(frozen=True, slots=True)
class Points:
    """One criterion of one session's feedback."""

    name: str
    label: str
    points: int
    out_of: int


@dataclass(frozen=True, slots=True)
class Played:
    """One finished session as progress counts it."""

    key: str
    scenario: str  # the scenario's id as played
    title: str
    skill: str
    mode: str
    started_at: int
    finished_at: int
    score: int
    criteria: tuple[Points, ...]

    @property
    def week(self) -> str:
        """The ISO week it was finished in ("2026-W49")."""
        return iso_week(self.finished_at)

    @property
    def practised_us(self) -> int:
        """How long it ran in real time."""
        return max(self.finished_at - self.started_at, 0)


@dataclass(frozen=True, slots=True)
class Weakest:
    """The criterion a person loses most on in a skill: points kept of those possible."""

    name: str
    label: str
    points: int
    out_of: int
    sessions: int

    @property
    def share(self) -> float:
        """Points kept as a share of those possible."""
        return self.points / self.out_of if self.out_of else 0.0


@dataclass(frozen=True, slots=True)
class SkillProgress:
    """A person's finished sessions of one skill."""

    skill: str
    sessions: int
    best: Played
    latest: Played
    average: float
    weakest: Weakest | None

    @property
    def passed(self) -> bool:
        """Whether the best score reaches `PASSED`."""
        return self.best.score >= PASSED


@dataclass(frozen=True, slots=True)
class Progress:
    """One person's practice: finished sessions, skills, scores by week, time practised."""

    person: Person
    played: tuple[Played, ...]  # oldest first
    skills: tuple[SkillProgress, ...]  # in the order of SKILLS
    weeks: tuple[str, ...]  # every ISO week from the first session's to the last's
    by_week: dict[str, tuple[float | None, ...]]  # skill -> average score a week (None: none)
    sessions_by_week: dict[str, tuple[tuple[str, ...], ...]]  # skill -> session keys a week
    running: int

    @property
    def practised_us(self) -> int:
        """Total real time of the finished sessions."""
        return sum(one.practised_us for one in self.played)

    @property
    def average(self) -> float | None:
        """The mean score of the finished sessions."""
        return sum(one.score for one in self.played) / len(self.played) if self.played else None

    @property
    def latest(self) -> Played | None:
        """The last finished session."""
        return self.played[-1] if self.played else None

    def skill(self, name: str) -> SkillProgress | None:
        """The progress in one skill, if practised."""
        return next((one for one in self.skills if one.skill == name), None)

    def passed_scenarios(self) -> set[str]:
        """The scenarios (ids) whose best score here reaches `PASSED`."""
        return {one.scenario for one in self.played if one.score >= PASSED}


@dataclass(frozen=True, slots=True)
class Offer:
    """A listed scenario a suggestion offers."""

    slug: str
    title: str
    difficulty: int
    featured: bool


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Practice suggested for a person: the skill, why (with its figure), and scenarios."""

    skill: str
    evidence: str  # category, first_response, de_escalated, reopened, practice
    reason: str
    scenarios: tuple[Offer, ...]
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Needs:
    """Everything suggested for one person."""

    person: Person
    suggestions: tuple[Suggestion, ...]

    @property
    def skills(self) -> tuple[str, ...]:
        """The skills suggested, once each, in order."""
        return tuple(dict.fromkeys(one.skill for one in self.suggestions))


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One line of the supervisors' overview."""

    person: Person
    progress: Progress | None
    needs: Needs


@dataclass(frozen=True, slots=True)
class CertifiedSkill:
    """A skill on a certificate: the best score, when, and whether it passed."""

    skill: str
    words: str
    best: int
    at: int
    key: str
    sessions: int

    @property
    def passed(self) -> bool:
        """Whether the best score reaches `PASSED`."""
        return self.best >= PASSED


@dataclass(frozen=True, slots=True)
class Certificate:
    """What a person practised in a period, as they can keep it."""

    person: Person
    since: int | None
    until: int | None
    sessions: int
    skills: tuple[CertifiedSkill, ...]
    practised_us: int

    @property
    def passed(self) -> tuple[str, ...]:
        """The skills passed."""
        return tuple(one.skill for one in self.skills if one.passed)

    @property
    def period(self) -> str:
        """The period in words (dates are UTC)."""
        if self.since is None and self.until is None:
            return "all practice to date"
        first = "the start" if self.since is None else f"{from_us(self.since):%-d %b %Y}"
        last = "today" if self.until is None else f"{from_us(self.until - 1):%-d %b %Y}"
        return f"{first} to {last}"

    def text(self) -> str:
        """The certificate as plain text: the same data always gives the same text."""
        lines = [
            f"Training certificate: {self.person.label}",
            f"Period: {self.period}",
            f"Practice sessions finished: {self.sessions}",
            f"Time practised: {spent(self.practised_us)}",
            f"Skills passed ({PASSED} or more): {len(self.passed)} of {len(self.skills)}",
        ]
        for one in self.skills:
            mark = "passed" if one.passed else "practised"
            lines.append(
                f"- {one.words}: best {one.best} on {from_us(one.at):%-d %b %Y} "
                f"({one.sessions} session{'s' if one.sessions != 1 else ''}), {mark}"
            )
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict[str, Any]:
        """The certificate as JSON-ready data."""
        return {
            "person": self.person.key,
            "name": self.person.label,
            "since": self.since,
            "until": self.until,
            "period": self.period,
            "sessions": self.sessions,
            "practised_seconds": self.practised_us // 1_000_000,
            "passing_score": PASSED,
            "skills": [
                {
                    "skill": one.skill,
                    "best": one.best,
                    "at": from_us(one.at).isoformat(),
                    "session": one.key,
                    "sessions": one.sessions,
                    "passed": one.passed,
                }
                for one in self.skills
            ],
            "passed": list(self.passed),
        }


def iso_week(us: int) -> str:
    """The ISO week of an instant (UTC), as "2026-W49"."""
    year, week, _day = from_us(us).isocalendar()
    return f"{year}-W{week:02d}"


def spent(us: int) -> str:
    """A practice time as people say it: "1 h 5 min", "12 min", "under a minute"."""
    if 0 < us < 60_000_000:
        return "under a minute"
    minutes = us // 60_000_000
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


# -- who ------------------------------------------------------------------------------------------


def person_of(session: Session, name: str) -> Person:
    """A person by username, else by agent handle; NotFound otherwise."""
    name = name.strip()[:100]
    user = session.scalar(select(User).where(User.username == name))
    if user is not None:
        agent = session.get(Agent, user.agent_id) if user.agent_id is not None else None
        return _person(user, agent)
    agent = session.scalar(select(Agent).where(Agent.handle == name))
    if agent is None:
        raise NotFound(f"no person {name!r}")
    user = session.scalar(select(User).where(User.agent_id == agent.id))
    return _person(user, agent)


def person_by_id(session: Session, user_id: int) -> Person:
    """A person by user id; NotFound otherwise."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such person")
    agent = session.get(Agent, user.agent_id) if user.agent_id is not None else None
    return _person(user, agent)


def _person(user: User | None, agent: Agent | None) -> Person:
    if user is None and agent is None:
        raise NotFound("no such person")
    label = (user.display_name if user is not None else "") or (
        agent.name if agent is not None else ""
    )
    key = user.username if user is not None else agent.handle if agent is not None else ""
    if not label:
        label = key
    elif label != key:
        label = f"{label} ({key})"
    return Person(
        key=key,
        user_id=user.id if user is not None else None,
        username=user.username if user is not None else None,
        handle=agent.handle if agent is not None else None,
        label=label,
    )


# -- progress -------------------------------------------------------------------------------------


def _played(row: PracticeSession) -> Played | None:
    """A finished session as progress counts it (None: not finished or not scored)."""
    if row.status != "finished" or row.score is None or row.finished_at is None:
        return None
    feedback = row.feedback or {}
    criteria = tuple(
        Points(
            str(item.get("name", "")),
            str(item.get("label") or LABELS.get(str(item.get("name")), item.get("name", ""))),
            int(item.get("points", 0)),
            int(item.get("out_of", 0)),
        )
        for item in feedback.get("criteria", ())
        if isinstance(item, dict)
    )
    return Played(
        key=row.key,
        scenario=str(row.scenario.get("id", "")),
        title=str(row.scenario.get("title", "")),
        skill=row.skill,
        mode=row.mode,
        started_at=row.started_at,
        finished_at=row.finished_at,
        score=row.score,
        criteria=criteria,
    )


def _finished(
    session: Session, user_ids: Iterable[int] | None, since: int | None, until: int | None
) -> dict[int, list[Played]]:
    """Finished sessions by trainee, oldest first (both modes: scripted and role-play)."""
    query = select(PracticeSession).where(PracticeSession.status == "finished")
    if user_ids is not None:
        query = query.where(PracticeSession.trainee_user_id.in_(list(user_ids)))
    if since is not None:
        query = query.where(PracticeSession.finished_at >= since)
    if until is not None:
        query = query.where(PracticeSession.finished_at < until)
    found: dict[int, list[Played]] = defaultdict(list)
    rows = session.scalars(query.order_by(PracticeSession.finished_at, PracticeSession.id))
    for row in rows:
        played = _played(row)
        if played is not None:
            found[row.trainee_user_id].append(played)
    return found


def _running(session: Session, user_id: int) -> int:
    return len(
        session.scalars(
            select(PracticeSession.id).where(
                PracticeSession.trainee_user_id == user_id, PracticeSession.status == "running"
            )
        ).all()
    )


def weakest(played: Sequence[Played]) -> Weakest | None:
    """The criterion with the smallest share of its points kept over `played` (ties: in the
    order feedback lists criteria)."""
    kept: dict[str, list[int]] = {}
    labels: dict[str, str] = {}
    for one in played:
        for criterion in one.criteria:
            if criterion.out_of <= 0:
                continue
            tally = kept.setdefault(criterion.name, [0, 0, 0])
            tally[0] += criterion.points
            tally[1] += criterion.out_of
            tally[2] += 1
            labels[criterion.name] = criterion.label
    if not kept:
        return None
    order = list(WEIGHTS)

    def rank(name: str) -> tuple[float, int, str]:
        points, out_of, _n = kept[name]
        return (points / out_of, order.index(name) if name in order else len(order), name)

    name = min(kept, key=rank)
    points, out_of, sessions = kept[name]
    return Weakest(name, labels[name], points, out_of, sessions)


def _skill_progress(skill: str, played: Sequence[Played]) -> SkillProgress:
    # The best is the highest score, the earliest of equals: when it was first reached.
    best = max(played, key=lambda one: (one.score, -one.finished_at))
    return SkillProgress(
        skill=skill,
        sessions=len(played),
        best=best,
        latest=played[-1],
        average=sum(one.score for one in played) / len(played),
        weakest=weakest(played),
    )


def _weeks(first: int, last: int) -> tuple[str, ...]:
    weeks: list[str] = []
    moment = first
    while True:
        week = iso_week(moment)
        if not weeks or weeks[-1] != week:
            weeks.append(week)
        if moment >= last:
            break
        moment = min(moment + DAY_US, last)
    return tuple(weeks)


def build_progress(person: Person, played: Sequence[Played], running: int = 0) -> Progress:
    """Progress from finished sessions (oldest first)."""
    by_skill: dict[str, list[Played]] = defaultdict(list)
    for one in played:
        by_skill[one.skill].append(one)
    ordered = [skill for skill in SKILLS if skill in by_skill] + sorted(
        skill for skill in by_skill if skill not in SKILLS
    )
    skills = tuple(_skill_progress(skill, by_skill[skill]) for skill in ordered)
    weeks = _weeks(played[0].finished_at, played[-1].finished_at) if played else ()
    by_week: dict[str, tuple[float | None, ...]] = {}
    keys: dict[str, tuple[tuple[str, ...], ...]] = {}
    for skill in ordered:
        scores: dict[str, list[Played]] = defaultdict(list)
        for one in by_skill[skill]:
            scores[one.week].append(one)
        by_week[skill] = tuple(
            sum(one.score for one in scores[week]) / len(scores[week]) if scores[week] else None
            for week in weeks
        )
        keys[skill] = tuple(tuple(one.key for one in scores[week]) for week in weeks)
    return Progress(person, tuple(played), skills, weeks, by_week, keys, running)


def progress_of(
    session: Session, person: Person, *, since: int | None = None, until: int | None = None
) -> Progress:
    """A person's progress over sessions finished in [since, until) (None: unbounded)."""
    if person.user_id is None:
        return build_progress(person, ())
    played = _finished(session, [person.user_id], since, until).get(person.user_id, [])
    return build_progress(person, played, _running(session, person.user_id))


# -- certificates ---------------------------------------------------------------------------------


def certificate(
    session: Session, person: Person, *, since: int | None = None, until: int | None = None
) -> Certificate:
    """A person's certificate over sessions finished in [since, until): scripted sessions and
    role-plays, finished only."""
    progress = progress_of(session, person, since=since, until=until)
    return Certificate(
        person=person,
        since=since,
        until=until,
        sessions=len(progress.played),
        skills=tuple(
            CertifiedSkill(
                one.skill,
                SKILLS.get(one.skill, one.skill),
                one.best.score,
                one.best.finished_at,
                one.best.key,
                one.sessions,
            )
            for one in progress.skills
        ),
        practised_us=progress.practised_us,
    )


# -- gaps and suggestions -------------------------------------------------------------------------


@dataclass(slots=True)
class _Library:
    """The listed scenarios, recommended first (as the library orders them)."""

    rows: list[TrainingScenario] = field(default_factory=list)

    def offers(
        self, passed: set[str], *, skill: str | None = None, category: str | None = None
    ) -> tuple[Offer, ...]:
        """Up to `OFFERED` scenarios of a skill or a case category not yet passed."""
        chosen: list[Offer] = []
        for row in self.rows:
            if row.slug in passed:
                continue
            if skill is not None and skill not in row.skills:
                continue
            if category is not None:
                facts = row.body.get("case") if isinstance(row.body, dict) else None
                if not isinstance(facts, dict) or facts.get("category") != category:
                    continue
            chosen.append(Offer(row.slug, row.title, row.difficulty, row.featured))
            if len(chosen) == OFFERED:
                break
        return tuple(chosen)


def _listed(session: Session) -> _Library:
    return _Library(
        list(
            session.scalars(
                select(TrainingScenario)
                .where(TrainingScenario.status == "listed")
                .order_by(
                    TrainingScenario.featured.desc(),
                    TrainingScenario.difficulty,
                    TrainingScenario.title,
                )
            )
        )
    )


def skill_for_category(category: str) -> str | None:
    """The skill whose scenarios train a case category's work (`CATEGORY_SKILLS`), if any."""
    lowered = category.lower()
    for words, skill in CATEGORY_SKILLS:
        if any(word in lowered for word in words):
            return skill
    return None


@dataclass(frozen=True, slots=True)
class Share:
    """`part` of `whole` of someone's cases, against `peer_part` of `peer_whole` of everyone
    else's."""

    part: int
    whole: int
    peer_part: int
    peer_whole: int

    @property
    def rate(self) -> float:
        """The person's share."""
        return self.part / self.whole if self.whole else 0.0

    @property
    def peers(self) -> float:
        """Everyone else's share."""
        return self.peer_part / self.peer_whole if self.peer_whole else 0.0

    @property
    def above(self) -> bool:
        """Clearly above the peers, on enough cases on both sides (coaching's rule)."""
        return (
            self.whole >= APART_MINIMUM
            and self.peer_whole >= APART_MINIMUM
            and self.part > 0
            and self.rate > self.peers
            and clearly_apart(self.part, self.whole, self.peers)
        )


def _shares(counts: dict[str, tuple[int, int]]) -> dict[str, Share]:
    """Each person's count against the sum of everyone else's."""
    total_part = sum(part for part, _ in counts.values())
    total_whole = sum(whole for _, whole in counts.values())
    return {
        who: Share(part, whole, total_part - part, total_whole - whole)
        for who, (part, whole) in counts.items()
    }


# Audit entries that change who holds a case: a person's assignment and the policy's.
ASSIGNMENTS = ("case.assigned", "assign")


def _holders_at(session: Session, breaches: dict[int, int]) -> dict[int, str]:
    """Who held each case at the instant given (case -> instant), from the audit trail: the
    `from` of the first assignment at or after it (the breach itself may pass the case on),
    else the `to` of the last one before it."""
    holder: dict[int, str | None] = {}
    settled: set[int] = set()
    rows = session.execute(
        select(AuditEntry.case_id, AuditEntry.at, AuditEntry.data)
        .where(AuditEntry.case_id.in_(list(breaches)), AuditEntry.kind.in_(ASSIGNMENTS))
        .order_by(AuditEntry.case_id, AuditEntry.id)
    )
    for case_id, at, data in rows:
        if case_id in settled or not isinstance(data, dict):
            continue
        if at < breaches[case_id]:
            holder[case_id] = data.get("to")
        else:
            settled.add(case_id)
            holder[case_id] = data.get("from") or holder.get(case_id)
    return {case_id: str(who) for case_id, who in holder.items() if who}


def first_response_breaches(session: Session, *, since: int, until: int) -> dict[str, Share]:
    """By person: their cases opened in the window whose first response breached its SLA.

    A breached case counts for whoever held it when the clock ran out (the audit trail's
    assignments: the breach often escalates the case away from them); any other case as
    coaching counts it, for whoever held it when it first escalated, else its assignee now.
    """
    window = and_(Case.opened_at >= since, Case.opened_at < until)
    breached: dict[int, int] = {}
    for case_id, at in session.execute(
        select(ClockEvent.case_id, ClockEvent.at)
        .join(Case, Case.id == ClockEvent.case_id)
        .where(window, ClockEvent.metric == "first_response", ClockEvent.kind == "breach")
        .order_by(ClockEvent.at.desc())
    ):
        breached[case_id] = at  # the first breach is written last
    holders = _holders_at(session, breached) if breached else {}
    for case_id, holder in session.execute(
        select(Escalation.case_id, Escalation.holder)
        .join(Case, Case.id == Escalation.case_id)
        .where(window, Escalation.action == "escalate", Escalation.holder.is_not(None))
        .order_by(Escalation.at.desc(), Escalation.id.desc())
    ):
        if case_id not in breached:
            holders[case_id] = str(holder)  # the earliest escalation is written last
    for case_id, assignee in session.execute(
        select(Case.id, Case.assignee).where(window, Case.assignee.is_not(None))
    ):
        holders.setdefault(case_id, str(assignee))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case_id, who in holders.items():
        tally = counts[who]
        tally[1] += 1
        tally[0] += case_id in breached
    return _shares({who: (part, whole) for who, (part, whole) in counts.items()})


def de_escalated(session: Session, *, since: int, until: int) -> dict[str, Share]:
    """By holder: cases that escalated from them (opened in the window) and were later brought
    back down, a sign the escalation was not needed."""
    window = and_(Case.opened_at >= since, Case.opened_at < until)
    moved = session.execute(
        select(Escalation.case_id, Escalation.holder, Escalation.action, Escalation.at)
        .join(Case, Case.id == Escalation.case_id)
        .where(window, Escalation.action.in_(("escalate", "de-escalate")))
        .order_by(Escalation.at, Escalation.id)
    ).all()
    escalated_by: dict[str, set[int]] = defaultdict(set)
    first_up: dict[tuple[str, int], int] = {}
    downs: dict[int, list[int]] = defaultdict(list)
    for case_id, holder, action, at in moved:
        if action == "escalate" and holder is not None:
            escalated_by[str(holder)].add(case_id)
            first_up.setdefault((str(holder), case_id), at)
        elif action == "de-escalate":
            downs[case_id].append(at)
    counts = {
        who: (
            sum(
                1
                for case_id in cases
                if any(at >= first_up[who, case_id] for at in downs.get(case_id, ()))
            ),
            len(cases),
        )
        for who, cases in escalated_by.items()
    }
    return _shares(counts)


def reopened(session: Session, *, since: int, until: int) -> dict[str, Share]:
    """By assignee: their resolved cases (opened in the window) that the customer reopened."""
    rows = session.execute(
        select(Case.assignee, Case.reopened).where(
            Case.opened_at >= since,
            Case.opened_at < until,
            Case.assignee.is_not(None),
            Case.resolved_at.is_not(None),
        )
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for assignee, times in rows:
        tally = counts[str(assignee)]
        tally[1] += 1
        tally[0] += bool(times)
    return _shares({who: (part, whole) for who, (part, whole) in counts.items()})


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def _from_work(
    handle: str,
    gaps: Sequence[Any],
    breaches: Share | None,
    downs: Share | None,
    reopens: Share | None,
    library: _Library,
    passed: set[str],
    days: int,
) -> list[Suggestion]:
    found: list[Suggestion] = []
    for gap in gaps:
        offers = library.offers(passed, category=gap.category)
        skill = skill_for_category(gap.category)
        if offers:
            skill = skill or str(library_skill(library, offers[0].slug))
        elif skill is not None:
            offers = library.offers(passed, skill=skill)
        found.append(
            Suggestion(
                skill=skill or "",
                evidence="category",
                category=gap.category,
                reason=(
                    f"{gap.escalated} of {gap.handled} {gap.category} cases escalated from "
                    f"{handle} in the last {days} days ({_percent(gap.rate)}), against "
                    f"{_percent(gap.peers)} for their peers."
                ),
                scenarios=offers,
            )
        )
    for share, skill, evidence, what in (
        (breaches, "slow_answer", "first_response", "missed the first-response target"),
        (downs, "refund_above_authority", "de_escalated", "were escalated and brought back down"),
        (reopens, "reopened_case", "reopened", "were reopened by the customer"),
    ):
        if share is None or not share.above:
            continue
        found.append(
            Suggestion(
                skill=skill,
                evidence=evidence,
                reason=(
                    f"{share.part} of {share.whole} of {handle}'s cases in the last {days} "
                    f"days {what} ({_percent(share.rate)}), against {_percent(share.peers)} "
                    "for everyone else."
                ),
                scenarios=library.offers(passed, skill=skill),
            )
        )
    return found


def library_skill(library: _Library, slug: str) -> str | None:
    """The main skill of a listed scenario."""
    return next((row.skill for row in library.rows if row.slug == slug), None)


def _from_practice(progress: Progress, library: _Library, passed: set[str]) -> list[Suggestion]:
    found = []
    for one in progress.skills:
        if one.passed:
            continue
        weak = one.weakest
        lost = f"; most points lost on {weak.label}" if weak is not None else ""
        found.append(
            Suggestion(
                skill=one.skill,
                evidence="practice",
                reason=(
                    f"Best score {one.best.score} in {one.sessions} session"
                    f"{'s' if one.sessions != 1 else ''} of {SKILLS.get(one.skill, one.skill)}, "
                    f"below the {PASSED} that passes{lost}."
                ),
                scenarios=library.offers(passed, skill=one.skill),
            )
        )
    return found


def everyone(session: Session, *, now: int, days: int = GAP_DAYS) -> list[PersonRow]:
    """Every person with finished practice or a training need, by name: their progress and
    what is suggested for them (real work read over the `days` before `now`)."""
    since, until = now - days * DAY_US, now + 1
    figures = coaching(session, since=since, until=until)
    breaches = first_response_breaches(session, since=since, until=until)
    downs = de_escalated(session, since=since, until=until)
    reopens = reopened(session, since=since, until=until)
    library = _listed(session)
    played = _finished(session, None, None, None)
    users = {user.id: user for user in session.scalars(select(User))}
    agents = {agent.id: agent for agent in session.scalars(select(Agent))}
    user_of_agent = {user.agent_id: user for user in users.values() if user.agent_id is not None}
    people: dict[str, tuple[Person, Progress | None, list[Suggestion]]] = {}

    def entry(person: Person) -> tuple[Person, Progress | None, list[Suggestion]]:
        if person.key not in people:
            progress = (
                build_progress(person, played.get(person.user_id, []))
                if person.user_id is not None
                else None
            )
            people[person.key] = (person, progress, [])
        return people[person.key]

    for user_id in played:
        user = users.get(user_id)
        if user is not None:
            entry(_person(user, agents.get(user.agent_id) if user.agent_id else None))
    for agent in agents.values():
        if not agent.active:
            continue
        gaps = next((one.gaps for one in figures.people if one.name == agent.handle), ())
        if not gaps and not any(
            share.get(agent.handle) is not None and share[agent.handle].above
            for share in (breaches, downs, reopens)
        ):
            continue
        person, progress, suggestions = entry(_person(user_of_agent.get(agent.id), agent))
        passed = progress.passed_scenarios() if progress is not None else set()
        suggestions.extend(
            _from_work(
                agent.handle,
                gaps,
                breaches.get(agent.handle),
                downs.get(agent.handle),
                reopens.get(agent.handle),
                library,
                passed,
                days,
            )
        )
    rows = []
    for person, progress, suggestions in people.values():
        if progress is not None:
            suggestions.extend(_from_practice(progress, library, progress.passed_scenarios()))
        rows.append(PersonRow(person, progress, Needs(person, tuple(suggestions))))
    return sorted(rows, key=lambda row: row.person.key)


def needs_of(session: Session, person: Person, *, now: int, days: int = GAP_DAYS) -> Needs:
    """What is suggested for one person (see `everyone`)."""
    found = next(
        (row for row in everyone(session, now=now, days=days) if row.person == person), None
    )
    return found.needs if found is not None else Needs(person, ())
