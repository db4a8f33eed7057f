"""Progress, gaps and certificates: scores by skill over time, the weakest criterion, training
needs from real work and from practice, and what a certificate counts."""

from __future__ import annotations

from escalon.training import progress
from escalon.training.progress import PASSED, Person
from tests.builders.progress import DAY_US, billing_month, finished, listed
from tests.builders.workspace import Workspace


def _person(ws: Workspace, name: str) -> Person:
    with ws.database.read() as session:
        return progress.person_of(session, name)


def test_best_latest_and_weekly_scores_per_skill(workspace: Workspace) -> None:
    listed(workspace, "manager-one", "manager_request")
    listed(workspace, "angry-one", "angry_customer")
    now = workspace.clock.now_us()  # Monday 30 November 2026, ISO week 49
    first = finished(workspace, "agent", "manager-one", lost={"tone": 20}, at=now - 7 * DAY_US)
    best = finished(workspace, "agent", "manager-one", lost={"tone": 5}, at=now - 6 * DAY_US)
    last = finished(workspace, "agent", "manager-one", lost={"response_time": 15}, at=now)
    finished(workspace, "agent", "angry-one", lost={}, at=now, mode="role_play")
    finished(workspace, "agent", "angry-one", lost={}, at=now, running=True)
    person = _person(workspace, "agent")
    with workspace.database.read() as session:
        found = progress.progress_of(session, person)
    assert person.handle == "ana"
    assert [one.score for one in found.played] == [80, 95, 85, 100]
    manager = found.skill("manager_request")
    assert manager is not None
    assert (manager.best.key, manager.best.score, manager.latest.key) == (best, 95, last)
    assert manager.sessions == 3
    assert manager.passed
    assert found.weeks == ("2026-W48", "2026-W49")
    assert found.by_week["manager_request"] == (87.5, 85.0)
    assert found.sessions_by_week["manager_request"] == ((first, best), (last,))
    assert found.by_week["angry_customer"] == (None, 100.0)
    # Tone: 50 of 75 kept; response time: 60 of 75; the rest untouched.
    assert manager.weakest is not None
    assert (manager.weakest.name, manager.weakest.points, manager.weakest.out_of) == (
        "tone",
        50,
        75,
    )
    assert found.practised_us == 4 * 10 * 60_000_000
    assert found.running == 1


def test_a_role_play_and_a_scripted_session_both_count_on_the_certificate(
    workspace: Workspace,
) -> None:
    listed(workspace, "manager-one", "manager_request")
    listed(workspace, "refund-one", "refund_above_authority")
    now = workspace.clock.now_us()
    finished(workspace, "agent", "manager-one", lost={"tone": 10}, at=now - DAY_US, minutes=20)
    finished(
        workspace,
        "agent",
        "refund-one",
        lost={"authority": 15, "escalation": 25},
        at=now,
        mode="role_play",
    )
    finished(workspace, "agent", "refund-one", lost={}, at=now, running=True)
    with workspace.database.read() as session:
        found = progress.certificate(session, _person(workspace, "agent"))
    assert found.sessions == 2
    assert [(one.skill, one.best, one.passed) for one in found.skills] == [
        ("manager_request", 90, True),
        ("refund_above_authority", 60, False),
    ]
    assert found.passed == ("manager_request",)
    assert found.practised_us == 30 * 60_000_000
    text = found.text()
    assert text == found.text()
    assert "Practice sessions finished: 2" in text
    assert "Time practised: 30 min" in text
    assert f"Skills passed ({PASSED} or more): 1 of 2" in text
    assert "- a customer asks for a manager: best 90 on 29 Nov 2026 (1 session), passed" in text


def test_a_certificate_counts_only_its_period(workspace: Workspace) -> None:
    listed(workspace, "manager-one", "manager_request")
    now = workspace.clock.now_us()
    finished(workspace, "agent", "manager-one", lost={}, at=now - 40 * DAY_US)
    finished(workspace, "agent", "manager-one", lost={"tone": 25}, at=now - DAY_US)
    with workspace.database.read() as session:
        found = progress.certificate(
            session, _person(workspace, "agent"), since=now - 30 * DAY_US, until=now
        )
    assert found.sessions == 1
    assert [(one.skill, one.best) for one in found.skills] == [("manager_request", 75)]


def test_a_category_gap_suggests_scenarios_of_that_category_not_yet_passed(
    workspace: Workspace,
) -> None:
    billing_month(workspace)
    case = {"channel": "email", "subject": "Charged twice", "category": "billing"}
    listed(workspace, "billing-passed", "angry_customer", case=case)
    listed(workspace, "billing-open", "angry_customer", case=case)
    listed(workspace, "other", "angry_customer")
    finished(workspace, "agent", "billing-passed", lost={}, at=workspace.clock.now_us())
    with workspace.database.read() as session:
        rows = progress.everyone(session, now=workspace.clock.now_us())
    ana = next(row for row in rows if row.person.handle == "ana")
    assert ana.person.key == "agent"
    gap = ana.needs.suggestions[0]
    assert gap.evidence == "category"
    assert gap.category == "billing"
    assert [offer.slug for offer in gap.scenarios] == ["billing-open"]
    assert gap.reason == (
        "12 of 15 billing cases escalated from ana in the last 30 days (80 %), "
        "against 20 % for their peers."
    )
    # ben and cleo have neither practice nor needs: they are not listed.
    assert [row.person.key for row in rows] == ["agent"]


def test_a_category_without_scenarios_falls_back_to_its_skill_recommended_first(
    workspace: Workspace,
) -> None:
    billing_month(workspace)
    listed(workspace, "refund-plain", "refund_above_authority")
    listed(workspace, "refund-featured", "refund_above_authority", difficulty=3)
    with workspace.database.write() as session:
        from escalon.training import library

        library.file(session, "refund-featured", by="sara", now=0, featured=True)
    with workspace.database.read() as session:
        needs = progress.needs_of(session, _person(workspace, "ana"), now=workspace.clock.now_us())
    gap = needs.suggestions[0]
    assert gap.skill == "refund_above_authority"
    assert [offer.slug for offer in gap.scenarios] == ["refund-featured", "refund-plain"]


def test_escalations_often_brought_back_down_suggest_authority_practice(
    workspace: Workspace,
) -> None:
    billing_month(workspace, bring_down=8)
    listed(workspace, "refund-one", "refund_above_authority")
    with workspace.database.read() as session:
        needs = progress.needs_of(
            session, _person(workspace, "agent"), now=workspace.clock.now_us()
        )
    down = next(one for one in needs.suggestions if one.evidence == "de_escalated")
    assert down.skill == "refund_above_authority"
    assert down.reason == (
        "8 of 12 of ana's cases in the last 30 days were escalated and brought back down "
        "(67 %), against 0 % for everyone else."
    )
    assert [offer.slug for offer in down.scenarios] == ["refund-one"]


def test_a_skill_practised_below_the_pass_is_suggested_again(workspace: Workspace) -> None:
    listed(workspace, "manager-one", "manager_request")
    listed(workspace, "manager-two", "manager_request")
    now = workspace.clock.now_us()
    finished(workspace, "supervisor", "manager-one", lost={"tone": 25, "escalation": 10}, at=now)
    with workspace.database.read() as session:
        rows = progress.everyone(session, now=now)
    sara = next(row for row in rows if row.person.key == "supervisor")
    [again] = sara.needs.suggestions
    assert again.evidence == "practice"
    assert again.reason == (
        "Best score 65 in 1 session of a customer asks for a manager, below the 70 that passes; "
        "most points lost on tone."
    )
    # Not passed, so the same scenario is offered again with the other.
    assert [offer.slug for offer in again.scenarios] == ["manager-one", "manager-two"]


def test_nobody_is_singled_out_on_a_few_cases(workspace: Workspace) -> None:
    listed(workspace, "refund-one", "refund_above_authority")
    from tests.builders.progress import handled_case, hire

    hire(workspace, "ben")
    handled_case(workspace, "ana", "billing", escalate=True, bring_down=True)
    handled_case(workspace, "ana", "billing", escalate=True, bring_down=True)
    for _ in range(3):
        handled_case(workspace, "ben", "billing", escalate=False)
    with workspace.database.read() as session:
        assert progress.everyone(session, now=workspace.clock.now_us()) == []


def _given(ws: Workspace, holder: str, number: int, *, answer: bool) -> None:
    """A case given to `holder`, answered at once when `answer`."""
    from tests.builders.cases import open_case

    customer = {"ref": f"K-{holder}-{number}", "name": "Kim", "tier": "standard"}
    case_id = int(open_case(ws, customer=customer)["id"])
    given = ws.client.put(
        f"/api/v1/cases/{case_id}/assignee", json={"assignee": holder}, headers=ws.headers()
    )
    assert given.status_code == 200, given.text
    if answer:
        reply = ws.client.post(
            f"/api/v1/cases/{case_id}/messages",
            json={"author": "agent", "body": "Here you are."},
            headers=ws.headers("agent"),
        )
        assert reply.status_code == 201, reply.text


def test_first_answers_often_late_suggest_practising_a_slow_answer(
    workspace: Workspace,
) -> None:
    from escalon.worker.timers import tick
    from tests.builders.progress import hire

    hire(workspace, "ben")
    listed(workspace, "slow-one", "slow_answer")
    for number in range(6):
        _given(workspace, "ana", number, answer=False)
        _given(workspace, "ben", number, answer=True)
    # Past the four hours of a first answer (while ana is on shift), the worker finds hers late.
    workspace.clock.advance(hours=4, minutes=5)
    tick(workspace.database, now=workspace.clock.now_us(), batch=100)
    now = workspace.clock.now_us()
    with workspace.database.read() as session:
        shares = progress.first_response_breaches(session, since=now - 30 * DAY_US, until=now)
        needs = progress.needs_of(session, _person(workspace, "agent"), now=now)
    assert (shares["ana"].part, shares["ana"].whole) == (6, 6)
    assert (shares["ben"].part, shares["ben"].whole) == (0, 6)
    slow = next(one for one in needs.suggestions if one.evidence == "first_response")
    assert slow.skill == "slow_answer"
    assert slow.reason == (
        "6 of 6 of ana's cases in the last 30 days missed the first-response target (100 %), "
        "against 0 % for everyone else."
    )
    assert [offer.slug for offer in slow.scenarios] == ["slow-one"]
