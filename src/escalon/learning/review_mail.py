"""The weekly review by mail: when it goes out, to which managers, in which words, and queuing
it in the outbox exactly once per week and manager.

The mail for a week falls due at the first chosen weekday and hour (in the chosen zone) after
the week has ended in UTC, when its figures are complete. Each manager's mail is recorded in
`review_mails` in the transaction that writes its outbox row; the record's unique (week, user)
key makes a second worker, or a worker started again, queue nothing. The outbox then delivers
it with the retries and dead letters of every other mail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from escalon.auth.access import SUPERVISORS
from escalon.auth.models import User
from escalon.config import Settings
from escalon.core.state import from_us, to_us
from escalon.database import Database
from escalon.database.base import table_of
from escalon.database.dialect import insert_ignoring_conflict, insert_with_conflicts
from escalon.learning.models import ReviewMail, ReviewMailOptOut
from escalon.learning.review import (
    Links,
    Review,
    Week,
    last_full_week,
    sla_words,
    week_of,
    weekly_review,
)
from escalon.notifications.models import OutboxMessage
from escalon.notifications.outbox import CustomerMessages, message_key, pending_row
from escalon.people.models import Agent

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The dashboard's managers: who may open the review page.
MANAGERS = SUPERVISORS
KIND = "review"
OPT_OUT_NOTE = (
    "You receive this weekly mail as a supervisor or admin of Escalon. To stop it, use "
    '"Stop the weekly mail" on the review page in the dashboard.'
)
# What the top layer hands in to lay the review out as the dashboard's page: (review, base).
HtmlRenderer = Callable[[Review, str], str]


@dataclass(frozen=True, slots=True)
class Schedule:
    """When the weekly review goes out: a weekday (0 is Monday) and an hour, in a zone."""

    weekday: int
    hour: int
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> Schedule:
        """The `review_mail_*` settings."""
        return cls(
            DAYS.index(settings.review_mail_day),
            settings.review_mail_hour,
            ZoneInfo(settings.review_mail_timezone),
        )

    @property
    def words(self) -> str:
        """The schedule as people read it."""
        return f"{DAYS[self.weekday].title()}s at {self.hour:02d}:00 ({self.zone.key})"

    def due_at(self, week: Week) -> int:
        """When `week`'s review goes out: the first chosen weekday and hour at or after its end.

        A local hour the clocks skip reads as the same wall time before the change (02:30 on
        a spring-forward night is 03:30 summer time); one they repeat, as its first passing.
        """
        end = from_us(week.until).astimezone(self.zone)
        day = end.date() + timedelta(days=(self.weekday - end.weekday()) % 7)
        at = self._instant(day)
        return at if at >= week.until else self._instant(day + timedelta(days=7))

    def _instant(self, day: date) -> int:
        return to_us(datetime.combine(day, time(self.hour), tzinfo=self.zone))

    def due_week(self, now: int) -> Week:
        """The latest week whose review is due by `now` (it stays due until the next one is)."""
        week = last_full_week(now)
        while self.due_at(week) > now:
            week = week.before()
        return week

    def next_at(self, now: int) -> int:
        """When the review after the one due at `now` falls due."""
        return self.due_at(week_of(self.due_week(now).until))


# -- who receives it ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    """A manager and the address their review goes to."""

    user_id: int
    username: str
    address: str


def _deliverable(address: str | None) -> bool:
    """Whether an address can head a mail (no spaces or line breaks, one @ with both sides)."""
    if not address or len(address) > 320 or any(c.isspace() or ord(c) < 32 for c in address):
        return False
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain)


def _address_of(user_email: str | None, agent_email: str | None) -> str | None:
    """The user's own address, else their agent's."""
    return (user_email or "").strip() or (agent_email or "").strip() or None


def recipients(session: Session) -> list[Recipient]:
    """Enabled supervisors and admins with an address who have not opted out, one per address."""
    rows = session.execute(
        select(User.id, User.username, User.email, Agent.email)
        .outerjoin(Agent, Agent.id == User.agent_id)
        .where(
            User.role.in_(MANAGERS),
            User.active,
            User.id.not_in(select(ReviewMailOptOut.user_id)),
        )
        .order_by(User.id)
    )
    found: dict[str, Recipient] = {}
    for user_id, username, own, agents in rows:
        address = _address_of(own, agents)
        if address is not None and _deliverable(address):
            found.setdefault(address.lower(), Recipient(int(user_id), username, address))
    return list(found.values())


def waiting(session: Session, week: Week) -> list[Recipient]:
    """The recipients `week`'s review has not been queued for (by person or by address)."""
    done = session.execute(
        select(ReviewMail.user_id, func.lower(ReviewMail.address)).where(
            ReviewMail.week == week.name
        )
    ).all()
    users = {int(user_id) for user_id, _ in done}
    addresses = {str(address) for _, address in done}
    return [
        someone
        for someone in recipients(session)
        if someone.user_id not in users and someone.address.lower() not in addresses
    ]


# -- opting out and back in -----------------------------------------------------------------


class ReviewMailIn(BaseModel):
    """Whether to receive the weekly review by mail."""

    model_config = ConfigDict(extra="forbid")

    subscribed: StrictBool  # true or false: 0 or "no" are refused, not guessed


class ReviewMailOut(BaseModel):
    """A manager's weekly review mail: whether they want it, where it goes, whether and when
    it is sent."""

    subscribed: bool
    address: str | None = Field(description="where it goes; null: no address, nothing is sent")
    enabled: bool = Field(description="whether this installation mails the review at all")
    schedule: str = Field(description="when it goes out, e.g. 'Mondays at 08:00 (UTC)'")


def set_subscribed(session: Session, *, user_id: int, subscribed: bool, now: int) -> None:
    """Opt a user out of the weekly review mail, or back in (twice is the same as once)."""
    if subscribed:
        session.execute(delete(ReviewMailOptOut).where(ReviewMailOptOut.user_id == user_id))
        return
    session.execute(
        insert_ignoring_conflict(session, ReviewMailOptOut).values(user_id=user_id, at=now)
    )


def subscription(session: Session, *, user_id: int, settings: Settings) -> ReviewMailOut:
    """A user's review mail as the API and the review page show it."""
    row = session.execute(
        select(User.email, Agent.email)
        .outerjoin(Agent, Agent.id == User.agent_id)
        .where(User.id == user_id)
    ).first()
    address = None if row is None else _address_of(row[0], row[1])
    opted_out = session.scalar(
        select(ReviewMailOptOut.user_id).where(ReviewMailOptOut.user_id == user_id)
    )
    return ReviewMailOut(
        subscribed=opted_out is None,
        address=address if address is not None and _deliverable(address) else None,
        enabled=settings.review_mail,
        schedule=Schedule.from_settings(settings).words,
    )


# -- what it says ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Letter:
    """A review's mail: its subject, its text, and the dashboard's page as HTML (if laid out)."""

    subject: str
    text: str
    html: str | None


def subject_of(week: Week) -> str:
    """The mail's subject."""
    return f"Escalation review, week {week.name}"


def letter(review: Review, base: str, render_html: HtmlRenderer | None = None) -> Letter:
    """The review's mail, every figure followed by the dashboard's list of its cases."""
    base = base.rstrip("/")
    html = None if render_html is None else render_html(review, base)
    return Letter(subject_of(review.week), review_text(review, Links(review.week, base)), html)


def review_text(review: Review, links: Links) -> str:
    """The review's headline figures as plain text, each with its link."""
    before = review.before
    kpis, kpis_then = review.kpis, review.kpis_before
    lines = [
        f"Escalation review, {review.week.label}",
        f"Against {before.label}.",
        "",
        f"Escalations: {review.escalations} (the week before: {review.escalations_before})",
        f"  {links.escalated()}",
        f"Escalation rate: {_share(kpis.escalation_rate)} of {kpis.cases} cases opened "
        f"(the week before: {_share(kpis_then.escalation_rate)} of {kpis_then.cases})",
        f"  {links.opened()}",
    ]
    for name, group in (("escalated", "escalated"), ("not escalated", "other")):
        now, then = kpis.csat.get(group), kpis_then.csat.get(group)
        lines.append(f"CSAT of {name} cases: {_csat(now)}; the week before {_csat(then)}")
    metrics = sla_words(review)
    if metrics:
        lines += ["", "SLA compliance of the cases opened in the week (the week before):"]
        lines += [f"  {name}: {now} ({then})" for name, now, then in metrics]
    lines += ["", "Rising causes:"]
    lines += [
        line
        for cause in review.rising
        for line in (
            f"  {cause.label}: {cause.now} of {cause.now_total} this week, against "
            f"{cause.rise.before:.0%} ({cause.before} of {cause.before_total}) in the four "
            "weeks before",
            f"    {links.resolved(cause=cause.key)}",
        )
    ] or ["  No cause is clearly rising."]
    lines += ["", "Slowest escalated cases resolved this week:"]
    lines += [
        line
        for slow in review.slowest[:5]
        for line in (
            f"  #{slow.case_id} {slow.subject}: {slow.hours:.1f} business hours "
            f"({slow.level}, {slow.team})",
            f"    {links.case(slow.case_id)}",
        )
    ] or ["  No escalated case was resolved this week."]
    per_person = " · ".join(f"{person} {count}" for person, count in review.kudos.per_person)
    lines += [
        "",
        f"Kudos: {len(review.kudos.kudos)}" + (f" ({per_person})" if per_person else ""),
        f"  {links.page()}#kudos",
        f"Lessons learned: {len(review.lessons)}",
        f"  {links.page()}#lessons",
        "",
        "The whole review, every figure linked to its cases:",
        links.page(),
        "",
        "-- ",
        OPT_OUT_NOTE,
        "",
    ]
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _csat(figures: object) -> str:
    mean = getattr(figures, "mean", None)
    if mean is None:
        return "—"
    return f"{mean:.1f} ({getattr(figures, 'responses', 0)} answers)"


# -- queuing it exactly once ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Queued:
    """Whom one run queued a week's review for."""

    week: Week
    recipients: tuple[Recipient, ...]


def send_due(
    db: Database,
    schedule: Schedule,
    *,
    now: int,
    render_html: HtmlRenderer | None = None,
) -> Queued:
    """Queue the due week's review for every manager it has not been queued for yet (the
    worker's step: cheap when there is nobody, which is nearly always)."""
    return queue(db, schedule.due_week(now), now=now, render_html=render_html)


def queue(
    db: Database,
    week: Week,
    *,
    now: int,
    render_html: HtmlRenderer | None = None,
    again: bool = False,
) -> Queued:
    """Queue `week`'s review for the managers still waiting for it (`again`: for every manager,
    whether they had it or not), recording each in the transaction that writes its outbox row."""
    with db.read() as session:
        wanted = recipients(session) if again else waiting(session, week)
        if not wanted:
            return Queued(week, ())
        review = weekly_review(session, week, now=now)
        base = CustomerMessages.of(session).public_url
    mail = letter(review, base, render_html)
    with db.write() as session:
        won = _record(session, week, wanted, now=now, again=again)
        rows = [_outbox_row(week, someone, sends, mail, now=now) for someone, sends in won]
        if rows:
            session.execute(insert(OutboxMessage), rows)
            keys = [
                {"user": someone.user_id, "key": row["key"]}
                for (someone, _), row in zip(won, rows, strict=True)
            ]
            _remember_keys(session, week, keys)
    return Queued(week, tuple(someone for someone, _ in won))


def _record(
    session: Session, week: Week, wanted: Iterable[Recipient], *, now: int, again: bool
) -> list[tuple[Recipient, int]]:
    """Record the review for each manager; those this transaction recorded (another worker's
    record wins over ours), with how many times it has now been queued for them."""
    by_user = {someone.user_id: someone for someone in wanted}
    values = [
        {
            "week": week.name,
            "user_id": someone.user_id,
            "address": someone.address,
            "sends": 1,
            "outbox_key": "",
            "queued_at": now,
        }
        for someone in by_user.values()
    ]
    if again:
        statement = insert_with_conflicts(session, ReviewMail).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["week", "user_id"],
            set_={
                "sends": ReviewMail.sends + 1,
                "address": statement.excluded.address,
                "queued_at": now,
            },
        )
    else:
        statement = insert_ignoring_conflict(session, ReviewMail).values(values)
    won = session.execute(statement.returning(ReviewMail.user_id, ReviewMail.sends)).all()
    return [(by_user[int(user_id)], int(sends)) for user_id, sends in won]


def _outbox_row(
    week: Week, someone: Recipient, sends: int, mail: Letter, *, now: int
) -> dict[str, object]:
    """The outbox row of one manager's review: an e-mail that belongs to no case."""
    recipient = f"user:{someone.username}"
    key = message_key(f"review|{week.name}|{sends}", recipient, someone.address)
    payload: dict[str, object] = {
        "id": key,
        "type": f"escalon.{KIND}",
        "week": week.name,
        "recipient": recipient,
    }
    if mail.html is not None:
        payload["html"] = mail.html
    row = pending_row(
        key=key,
        case_id=None,
        kind=KIND,
        channel="email",
        recipient=recipient,
        address=someone.address,
        subject=mail.subject,
        payload=payload,
        now=now,
    )
    row["body"] = mail.text  # written now: the same words on every try
    return row


def _remember_keys(session: Session, week: Week, keys: list[dict[str, object]]) -> None:
    """Each record names its latest outbox row, so an admin can follow its delivery."""
    table = table_of(ReviewMail)
    session.execute(
        update(table)
        .where(table.c.week == week.name, table.c.user_id == bindparam("user"))
        .values(outbox_key=bindparam("key")),
        keys,
    )
