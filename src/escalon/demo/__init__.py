"""A demo workspace: teams, agents, the example policy, users, and open cases about to escalate.

Everything goes through the same flows as the API, at instants a few minutes in the past, so
the audit trail reads as if the cases had arrived for real and the worker fires their first
escalations within the next minutes.

The first start seeds the whole workspace. Every start (the first included) opens the timed
cases again relative to its own clock: a visitor who comes back sees the breaches and the
climbing escalation happen again, and keeps whatever they did in the earlier runs.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalon.auth import service as auth
from escalon.auth.models import User
from escalon.cases import acting, escalation, messages, opening, updating
from escalon.cases.models import Case
from escalon.cases.schemas import CaseCreate, CasePatch, CustomerIn, EscalateIn, MessageIn, SurveyIn
from escalon.clock import Clock
from escalon.core.signals import TextAnalyzer
from escalon.core.training.scenario import read_scenario
from escalon.database import Database
from escalon.errors import Conflict
from escalon.knowledge import service as knowledge
from escalon.knowledge.articles import parse_article
from escalon.people import service as people
from escalon.people.schemas import AgentIn, RotationIn, TeamIn
from escalon.policies import service as policies
from escalon.training import library

US_PER_MINUTE = 60 * 1_000_000
BERLIN = ZoneInfo("Europe/Berlin")
POLICY_FILE = "policy.yaml"

# name: (description, how the team hands out its cases)
TEAMS = {
    "frontline": ("First line: every case starts here", "round_robin"),
    "supervisors": ("Level 1: owns escalated cases", "least_loaded"),
    "specialists": ("Level 2: billing and engineering specialists, on call", "on_call"),
    "management": ("Level 3: paged only when it matters", None),
    "finance": ("Billing and refunds", "least_loaded"),
}
# What customers see as the sender of replies: the team's address, never an agent's own.
SUPPORT_ADDRESS = "support@demo.escalon.example"
BILLING_ADDRESS = "billing@demo.escalon.example"
AGENTS = [
    ("ana", "Ana Frontline", "frontline", ["frontline"]),
    ("ben", "Ben Frontline", "frontline", ["frontline"]),
    ("sara", "Sara Supervisor", "supervisor", ["supervisors"]),
    ("omar", "Omar Specialist", "specialist", ["specialists"]),
    ("lena", "Lena Specialist", "specialist", ["specialists"]),
    ("fiona", "Fiona Finance", "frontline", ["finance"]),
    ("mia", "Mia Manager", "management", ["management"]),
]
# Mia is a manager: a supervisor's rights with management's authority, so the demo has someone
# who may decide the large refunds a frontline agent or a supervisor may only ask for.
USERS = [
    ("admin", "admin", None),
    ("sara", "supervisor", "sara"),
    ("ana", "agent", "ana"),
    ("mia", "supervisor", "mia"),
]


@dataclass(frozen=True, slots=True)
class DemoWorkspace:
    """What a person needs to start exploring."""

    admin_token: str
    supervisor_token: str
    agent_token: str
    manager_token: str
    cases: int
    seeded: bool
    timed: int  # cases opened by this start that breach or climb within minutes


# The demo's policy is the example with the root causes a team would count: resolving an
# escalated case then offers them as a pick list, and the numbers page counts by them.
DEMO_ROOT_CAUSES = """
root_causes:
  product_bug: Defect in the product
  billing_error: Billing error
  expired_link: Link or code expired before use
  missing_docs: Missing or unclear help article
  customer_setup: Set-up on the customer's side
"""


# The demo's acknowledgements carry the help article that answers a first message well.
DEMO_KNOWLEDGE = """
knowledge:
  acknowledgement_article: 0.35
"""


# The demo's teams past the front line have internal targets to act on a case they receive.
DEMO_OLA = """
ola:
  supervisors: {act_within: 30m}
  specialists: {act_within: 2h, calendar: office}
"""


def policy_text() -> str:
    """The example policy (a copy of examples/policy.yaml shipped with the package)."""
    return files("escalon.demo").joinpath(POLICY_FILE).read_text(encoding="utf-8")


def ensure(
    db: Database, *, clock: Clock, analyzer: TextAnalyzer | None, token_days: int = 1
) -> DemoWorkspace:
    """Seed the workspace if the database is empty; mint fresh tokens for the demo users
    (each run mints new ones, valid `token_days`: a demo's tokens need not live long)."""
    now = clock.now_us()
    expires = now + token_days * auth.US_PER_DAY
    with db.write() as session:
        seeded = session.scalar(select(User.id).limit(1)) is None
    if seeded:
        _seed(db, now=now, analyzer=analyzer)
    with db.write() as session:
        _seed_scenarios(session, now=now)
    timed = _timed(db, now=now, analyzer=analyzer)
    tokens: dict[str, str] = {}
    with db.write() as session:
        known = set(session.scalars(select(User.username)))
        for username, role, agent in USERS:
            if username not in known:  # a demo seeded by an older release
                auth.create_user(session, username=username, role=role, now=now, agent=agent)
            user = auth.user_by_name(session, username)
            _record, tokens[username] = auth.create_token(
                session, user=user, now=now, name="demo", expires_at=expires
            )
        count = len(session.scalars(select(Case.id)).all())
    return DemoWorkspace(
        tokens["admin"], tokens["sara"], tokens["ana"], tokens["mia"], count, seeded, timed
    )


def _rotation(now: int) -> RotationIn:
    """Omar and Lena take the specialists' on-call week in turn, handing off on Mondays."""
    local = datetime.fromtimestamp(now / 1_000_000, BERLIN)
    monday = (local - timedelta(days=local.weekday())).date()
    return RotationIn(
        layers=[
            {
                "name": "week",
                "members": ["omar", "lena"],
                "shift": "1w",
                "handoff": f"{monday.isoformat()}T09:00",
                "timezone": "Europe/Berlin",
            }
        ]
    )


def _seed(db: Database, *, now: int, analyzer: TextAnalyzer | None) -> None:
    start = now - 40 * US_PER_MINUTE
    with db.write() as session:
        for name, (description, strategy) in TEAMS.items():
            people.create_team(
                session,
                data=TeamIn(
                    name=name,
                    description=description,
                    assignment=strategy,
                    support_address=BILLING_ADDRESS if name == "finance" else SUPPORT_ADDRESS,
                ),
                now=start,
            )
        for handle, name, level, teams in AGENTS:
            people.create_agent(
                session,
                data=AgentIn(
                    handle=handle,
                    name=name,
                    email=f"{handle}@support.example",
                    level=level,
                    teams=teams,
                ),
                now=start,
            )
        people.set_rotation(
            session, team=people.team_by_name(session, "specialists"), data=_rotation(now)
        )
        for username, role, agent in USERS:
            auth.create_user(session, username=username, role=role, now=start, agent=agent)
        version, _ = policies.upload(
            session,
            text=policy_text() + DEMO_ROOT_CAUSES + DEMO_KNOWLEDGE + DEMO_OLA,
            filename="demo-policy.yaml",
            user_id=None,
            now=start,
        )
        policies.activate(session, version_id=version.id, user_id=None, now=start)
        _seed_articles(session, now=start)
    _seed_cases(db, now=now, analyzer=analyzer)


def _seed_articles(session: Session, *, now: int) -> None:
    """The demo's help articles (`articles/*.md`): public, but the one meant for staff."""
    folder = files("escalon.demo").joinpath("articles")
    articles = [
        parse_article(entry.name.removesuffix(".md"), entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda entry: entry.name)
        if entry.name.endswith(".md")
    ]
    knowledge.import_articles(session, articles, author="demo", now=now)
    staff_only = knowledge.find(session, "large-refunds")
    staff_only.audience = "internal"


def _seed_scenarios(session: Session, *, now: int) -> None:
    """The training ground's demo scenarios (`scenarios/*.yaml`), those not in the library."""
    folder = files("escalon.demo").joinpath("scenarios")
    for entry in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if not entry.name.endswith(".yaml"):
            continue
        scenario = read_scenario(entry.read_text(encoding="utf-8"), f"demo/{entry.name}")
        with contextlib.suppress(Conflict), session.begin_nested():
            library.add(session, scenario, by="demo", now=now)


SYSTEM = acting.Actor(None, "demo", "admin")
ANA = acting.Actor(None, "ana", "agent", "ana")
BEN = acting.Actor(None, "ben", "agent", "ben")
SARA = acting.Actor(None, "sara", "supervisor", "sara")
US_PER_DAY = 24 * 60 * US_PER_MINUTE

# Last month's refund questions, so coaching has something to say: ana, the newer agent, passed
# five of her seven up to a supervisor; ben handled six of his seven himself. (days ago, who,
# customer's words, whether it went up).
_REFUND_MONTH = (
    (24, ANA, "The blender I bought last week leaks. I want my money back.", True),
    (23, BEN, "Please refund the second month, I cancelled in time.", False),
    (21, ANA, "I was charged for a subscription I never ordered. Refund it.", True),
    (20, BEN, "The shoes do not fit, can I get a refund instead of an exchange?", False),
    (17, ANA, "My order came damaged. I would like a refund, not a new one.", True),
    (16, BEN, "You charged shipping twice on order 7710.", True),
    (14, ANA, "Refund for the concert tickets, the show was cancelled.", False),
    (13, BEN, "The heater stopped working after a week; refund please.", False),
    (10, ANA, "The discount code was not applied; refund the difference.", True),
    (9, BEN, "I returned the parcel ten days ago and have no refund yet.", False),
    (7, ANA, "Your app charged me in dollars instead of euros.", False),
    (6, BEN, "Cancelled within the trial and still charged.", False),
    (3, ANA, "The sofa arrived broken, I want a full refund of 400.", True),
    (2, BEN, "Refund my delivery fee, the parcel was three days late.", False),
)


def _open(
    db: Database, *, now: int, minutes_ago: float, analyzer: TextAnalyzer | None, **fields: object
) -> int:
    """Open a case through the API's flow as if it had arrived `minutes_ago`."""
    with db.write() as session:
        opened = opening.open_case(
            session,
            request=CaseCreate.model_validate(fields),
            actor=SYSTEM,
            now=now - round(minutes_ago * US_PER_MINUTE),
            analyzer=analyzer,
        )
        return opened.case_id


def _post(
    db: Database,
    case_id: int,
    *,
    by: acting.Actor,
    body: str,
    minutes_ago: float,
    now: int,
    analyzer: TextAnalyzer | None,
) -> None:
    """Write a message on a case through the API's flow, `minutes_ago`: the customer's when
    Escalon itself posts it, else the acting agent's."""
    author = "customer" if by is SYSTEM else "agent"
    with db.write() as session:
        messages.post_message(
            session,
            case_id=case_id,
            request=MessageIn(author=author, body=body),
            actor=by,
            now=now - round(minutes_ago * US_PER_MINUTE),
            analyzer=analyzer,
        )


def _customer_of(ref: str, name: str, tier: str = "standard") -> dict[str, str]:
    """A demo customer as the API takes it."""
    return CustomerIn(ref=ref, name=name, email=f"{ref}@customer.example", tier=tier).model_dump(
        exclude_none=True
    )


def _timed(db: Database, *, now: int, analyzer: TextAnalyzer | None) -> int:
    """Open the cases that breach or climb within minutes of `now`; how many."""

    def open_at(minutes_ago: float, **fields: object) -> int:
        return _open(db, now=now, minutes_ago=minutes_ago, analyzer=analyzer, **fields)

    # Critical cases whose 15-minute first response runs out in the next minutes.
    for minutes_ago, ref, name, subject in (
        (14.5, "northwind", "Northwind Traders", "Checkout is down for all our stores"),
        (13.5, "contoso", "Contoso Ltd", "API returns 500 on every order since the deploy"),
        (12.0, "fabrikam", "Fabrikam Inc", "We cannot log in to the admin console"),
    ):
        open_at(
            minutes_ago,
            customer=_customer_of(ref, name, "enterprise"),
            subject=subject,
            body=f"{subject}. This is blocking our business, please help now.",
            channel="email",
            impact="high",
            urgency="high",
            category="outage",
        )
    # Escalated by hand 29 minutes ago and not acknowledged: climbs at the 30-minute mark.
    waiting = open_at(
        45,
        customer=_customer_of("litware", "Litware Ltd", "enterprise"),
        priority="P1",
        subject="Nightly data export",
        body="Our nightly export has not run since Monday.",
        channel="web",
        category="technical",
    )
    _post(
        db, waiting, by=ANA, body="Looking into it now.", minutes_ago=40, now=now, analyzer=analyzer
    )
    # A team's own detector (ESCALON_TRIAGE_MODEL) may have escalated it on arrival.
    with db.write() as session, contextlib.suppress(Conflict):
        escalation.escalate_case(
            session,
            case_id=waiting,
            request=EscalateIn(
                kind="hierarchical",
                to_level="supervisor",
                reason="Needs a database fix I cannot approve",
            ),
            actor=ANA,
            now=now - 29 * US_PER_MINUTE,
            if_match=None,
        )
    return 4


# The cases that set the scene: (minutes ago, customer ref, customer name, subject, the first
# message ("": the subject), channel, category).
_SCENE = (
    (
        20,
        "tailspin",
        "Tailspin Toys",
        "Invoice charged twice",
        "You charged my card twice for invoice 2291, third time I write.",
        "email",
        "billing",
    ),
    (
        25,
        "adatum",
        "Adatum Corp",
        "Order never arrived",
        "My order 5521 has not arrived after three weeks.",
        "chat",
        "delivery",
    ),
    (30, "woodgrove", "Woodgrove Bank", "How do I export my invoices?", "", "web", "how-to"),
    (10, "proseware", "Proseware", "Question about seat licences", "", "web", "how-to"),
    (
        38,
        "wingtip",
        "Wingtip Toys",
        "Password reset link expired",
        "The reset link says it has expired.",
        "email",
        "account",
    ),
)


def _seed_cases(db: Database, *, now: int, analyzer: TextAnalyzer | None) -> None:
    """The cases that set the scene once: a billing case routed to finance on arrival, a
    customer who asks for a manager, quiet questions, and a case resolved with its root cause
    and survey answer (so the numbers have something in them)."""
    opened = {
        ref: _open(
            db,
            now=now,
            minutes_ago=minutes_ago,
            analyzer=analyzer,
            customer=_customer_of(ref, name),
            subject=subject,
            body=body or subject,
            channel=channel,
            category=category,
        )
        for minutes_ago, ref, name, subject, body, channel, category in _SCENE
    }
    _post(
        db,
        opened["adatum"],
        by=SYSTEM,
        body="This is useless. I want to speak to a manager now!",
        minutes_ago=5,
        now=now,
        analyzer=analyzer,
    )
    _seed_resolved_case(db, opened["wingtip"], now=now, analyzer=analyzer)
    _seed_refund_month(db, now=now, analyzer=analyzer)


def _seed_refund_month(db: Database, *, now: int, analyzer: TextAnalyzer | None) -> None:
    """Last month's refund cases, resolved: the coaching page finds ana's gap in them, and the
    training ground suggests the refund scenario to her."""
    for number, (days_ago, agent, words, went_up) in enumerate(_REFUND_MONTH):
        began = now - days_ago * US_PER_DAY
        case_id = _open(
            db,
            now=began,
            minutes_ago=0,
            analyzer=analyzer,
            customer=_customer_of(f"refund-{number}", f"Customer {number + 1}"),
            subject=words[:60],
            body=words,
            channel="email",
            category="refund",
        )
        at = began + 10 * US_PER_MINUTE
        with db.write() as session:
            updating.assign_case(
                session, case_id=case_id, assignee=agent.name, actor=SYSTEM, now=at, if_match=None
            )
        _post(
            db,
            case_id,
            by=agent,
            body="Thank you, I am looking into it.",
            minutes_ago=0,
            now=at,
            analyzer=analyzer,
        )
        closer = agent
        if went_up:
            # A team's own detector may have sent the case up on arrival already.
            with db.write() as session, contextlib.suppress(Conflict), session.begin_nested():
                escalation.escalate_case(
                    session,
                    case_id=case_id,
                    request=EscalateIn(
                        kind="hierarchical",
                        to_level="supervisor",
                        reason="A refund: I would rather a supervisor decides",
                    ),
                    actor=agent,
                    now=at + US_PER_MINUTE,
                    if_match=None,
                )
                escalation.acknowledge(
                    session, case_id=case_id, actor=SARA, now=at + 5 * US_PER_MINUTE, if_match=None
                )
            closer = SARA
        with db.write() as session:
            updating.update_case(
                session,
                case_id=case_id,
                request=CasePatch(status="resolved", root_cause_code="billing_error"),
                actor=closer,
                now=at + 2 * 60 * US_PER_MINUTE,
                if_match=None,
            )


def _seed_resolved_case(
    db: Database, done: int, *, now: int, analyzer: TextAnalyzer | None
) -> None:
    """An agent's answer, the case resolved with its root cause, and the survey's answer."""
    _post(
        db,
        done,
        by=ANA,
        body="I have sent you a new link; it is valid for a day.",
        minutes_ago=33,
        now=now,
        analyzer=analyzer,
    )
    with db.write() as session:
        updating.update_case(
            session,
            case_id=done,
            request=CasePatch(
                status="resolved",
                root_cause_code="expired_link",
                root_cause="reset link expired before use",
            ),
            actor=ANA,
            now=now - 32 * US_PER_MINUTE,
            if_match=None,
        )
        updating.answer_survey(
            session,
            case_id=done,
            request=SurveyIn(score=4, comment="Quick, thanks"),
            actor=SYSTEM,
            now=now - 20 * US_PER_MINUTE,
        )
