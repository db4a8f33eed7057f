"""The scenario library: scenarios added from files or written by hand, filed by supervisors."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalon.core.training.scenario import DIFFICULTIES, SKILLS, Scenario, scenario_from
from escalon.errors import Conflict, Invalid, NotFound
from escalon.training.models import TrainingScenario

STATUSES = ("listed", "hidden")


def add(
    session: Session, scenario: Scenario, *, by: str, now: int, replace: bool = False
) -> tuple[TrainingScenario, bool]:
    """Store a checked scenario: (its row, whether it was new). A scenario with the same id is
    a Conflict unless `replace`, which makes it the row's next version."""
    row = session.scalar(select(TrainingScenario).where(TrainingScenario.slug == scenario.id))
    if row is not None and not replace:
        raise Conflict(f"the library already has a scenario {scenario.id!r}")
    new = row is None
    if row is None:
        row = TrainingScenario(
            slug=scenario.id,
            status="listed",
            featured=False,
            version=0,
            created_by=by,
            created_at=now,
        )
        session.add(row)
    _fill(row, scenario, by=by, now=now)
    session.flush()
    return row, new


def _fill(row: TrainingScenario, scenario: Scenario, *, by: str, now: int) -> None:
    row.title = scenario.title
    row.skill = scenario.skill
    row.skills = list(scenario.skills)
    row.difficulty = scenario.difficulty
    row.source = scenario.source.kind
    row.body = scenario.document()
    row.version += 1
    row.updated_by = by
    row.updated_at = now


def rewrite(
    session: Session, slug: str, scenario: Scenario, *, by: str, now: int, version: int
) -> TrainingScenario:
    """Replace a scenario's text by an edited one of the same id (`version`: the one edited;
    Conflict when someone saved another in between)."""
    row = get(session, slug)
    if scenario.id != slug:
        raise Invalid(f"an edit keeps the scenario's id {slug!r}")
    if row.version != version:
        raise Conflict("someone saved this scenario since you opened it: reload and edit again")
    _fill(row, scenario, by=by, now=now)
    return row


def get(session: Session, slug: str) -> TrainingScenario:
    """A scenario by its id; NotFound otherwise."""
    row = session.scalar(select(TrainingScenario).where(TrainingScenario.slug == slug[:80]))
    if row is None:
        raise NotFound(f"no scenario {slug!r}")
    return row


def scenario_of(row: TrainingScenario) -> Scenario:
    """The stored scenario, checked again."""
    return scenario_from(row.body, row.slug)


def file(
    session: Session,
    slug: str,
    *,
    by: str,
    now: int,
    status: str | None = None,
    featured: bool | None = None,
    difficulty: int | None = None,
) -> TrainingScenario:
    """A supervisor's filing: list or hide it, recommend it, or say how hard it is."""
    row = get(session, slug)
    if status is not None:
        if status not in STATUSES:
            raise Invalid(f"unknown status {status!r} (statuses: {', '.join(STATUSES)})")
        row.status = status
    if featured is not None:
        row.featured = featured
    if difficulty is not None:
        if difficulty not in DIFFICULTIES:
            raise Invalid("difficulty is 1 (easy), 2 (medium) or 3 (hard)")
        row.difficulty = difficulty
        row.body = {**row.body, "difficulty": difficulty}
    row.updated_by = by
    row.updated_at = now
    return row


def listing(
    session: Session,
    *,
    skill: str | None = None,
    difficulty: int | None = None,
    hidden: bool = False,
    limit: int = 500,
) -> list[TrainingScenario]:
    """The library's scenarios, recommended first, then by skill, difficulty and title."""
    if skill is not None and skill not in SKILLS:
        raise Invalid(f"unknown skill {skill!r}")
    query = select(TrainingScenario)
    if not hidden:
        query = query.where(TrainingScenario.status == "listed")
    if difficulty is not None:
        query = query.where(TrainingScenario.difficulty == difficulty)
    rows: list[TrainingScenario] = list(
        session.scalars(
            query.order_by(
                TrainingScenario.featured.desc(),
                TrainingScenario.skill,
                TrainingScenario.difficulty,
                TrainingScenario.title,
            ).limit(limit if skill is None else 5_000)
        )
    )
    if skill is not None:
        # A scenario counts for each skill it exercises, not only its main one.
        rows = [row for row in rows if skill in row.skills][:limit]
    return rows


def counts_by_skill(session: Session) -> dict[str, int]:
    """How many listed scenarios exercise each skill as their main one."""
    rows = session.execute(
        select(TrainingScenario.skill, func.count())
        .where(TrainingScenario.status == "listed")
        .group_by(TrainingScenario.skill)
    ).all()
    return {str(skill): int(count) for skill, count in rows}
