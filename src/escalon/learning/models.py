"""The learning loop's tables: lessons people wrote down about their escalated cases, kudos,
the recurring topics found among escalated cases, and the weekly review's mailing (who got which
week's review, who asked not to)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from escalon.database.base import Base, Id, Instant


class Lesson(Base):
    """What would have prevented an escalation, in the words of someone who handled it."""

    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[int] = mapped_column(Instant)
    author: Mapped[str] = mapped_column(String(200))
    # When it was written: at the case's resolution, its de-escalation, or afterwards.
    moment: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    # The case's root cause as named when the lesson was written (its words), for the review.
    root_cause: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_lessons_at", "at"),)


class Kudos(Base):
    """Thanks one person gave another by hand for how they handled a case."""

    __tablename__ = "kudos"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person: Mapped[str] = mapped_column(String(100), index=True)  # an agent's handle
    giver: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[int] = mapped_column(Instant, index=True)

    # Once per giver, person and case: a second click is not a second thanks.
    __table_args__ = (UniqueConstraint("case_id", "person", "giver", name="uq_kudos_once"),)


class TopicRun(Base):
    """One grouping of escalated cases into recurring topics, over a window of UTC days.

    Finding topics takes seconds to minutes, so it runs outside any page: `escalon topics
    --store` or the worker, at most once a UTC day. The worker's run of a day holds the unique
    `claim_key` "daily:DAY" so that two workers cannot both take it; `lease_until` lets another
    process (or the same one restarted) take over a run whose process died.
    """

    __tablename__ = "topic_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # command, worker
    status: Mapped[str] = mapped_column(String(20))  # running, done, failed
    claim_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    lease_until: Mapped[int | None] = mapped_column(Instant)
    started_at: Mapped[int] = mapped_column(Instant)
    finished_at: Mapped[int | None] = mapped_column(Instant)
    # Escalated cases opened in [window_start, window_end); "this period" begins at period_start.
    window_start: Mapped[int] = mapped_column(Instant)
    period_start: Mapped[int] = mapped_column(Instant)
    window_end: Mapped[int] = mapped_column(Instant)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    period_cases: Mapped[int] = mapped_column(Integer, default=0)
    earlier_cases: Mapped[int] = mapped_column(Integer, default=0)
    topics: Mapped[int] = mapped_column(Integer, default=0)
    # The newest escalation record the run had read: a later one means new escalated cases.
    escalation_mark: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_topic_runs_status_id", "status", "id"),)


class RunTopic(Base):
    """A topic of a run: its distinctive words, how many cases (in the period, before) and the
    most typical of them."""

    __tablename__ = "run_topics"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("topic_runs.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1 the largest
    words: Mapped[list[str]] = mapped_column(JSON)
    cases: Mapped[int] = mapped_column(Integer)
    period_cases: Mapped[int] = mapped_column(Integer)
    earlier_cases: Mapped[int] = mapped_column(Integer)
    samples: Mapped[list[int]] = mapped_column(JSON)  # case ids, most typical first


class TopicCase(Base):
    """Which topic of a run a case fell in (a case without a word to group by has none)."""

    __tablename__ = "topic_cases"

    run_id: Mapped[int] = mapped_column(ForeignKey("topic_runs.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("run_topics.id"), index=True)


class ReviewMail(Base):
    """That a week's review was queued for one manager: written in the transaction that puts
    the mail in the outbox, so a second worker, or a worker started again, never sends it twice."""

    __tablename__ = "review_mails"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    week: Mapped[str] = mapped_column(String(8))  # an ISO week: 2026-W49
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320))
    # How often it was queued for them: 1, then one more for each `escalon review --mail --again`.
    sends: Mapped[int] = mapped_column(Integer, default=1)
    outbox_key: Mapped[str] = mapped_column(String(64))
    queued_at: Mapped[int] = mapped_column(Instant)

    __table_args__ = (UniqueConstraint("week", "user_id", name="uq_review_mails_once"),)


class ReviewMailOptOut(Base):
    """A manager who asked not to receive the weekly review by mail (everyone else does)."""

    __tablename__ = "review_mail_opt_outs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[int] = mapped_column(Instant)
