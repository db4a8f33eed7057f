"""Practice sessions through the dashboard: a sandbox per session, the scenario's customer on
the practice clock, the trainee's own pages, feedback, and who may do what."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select

from escalon.training import practice
from escalon.training.models import PracticeSession
from tests.builders.dashboard import csrf_of
from tests.builders.training import (
    act,
    add_scenario,
    finish,
    practice_page,
    signed_in_client,
    start,
    training_app,
)
from tests.builders.workspace import Workspace

EMPATHETIC = (
    "I'm so sorry the parcel failed again, I understand how frustrating this is. "
    "I will ask the courier today and write back by 11:00."
)


def _session(ws: Workspace, key: str) -> PracticeSession:
    with ws.database.read() as session:
        return practice.by_key(session, key)


def test_a_practice_case_opens_in_its_own_database_assigned_to_the_trainee(
    workspace: Workspace, tmp_path: Path
) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        key, case_id = start(ana, slug)
        html = practice_page(ana, key, case_id)
        assert "training-banner" in html
        assert "nothing here reaches a customer" in html
        assert "My parcel failed to arrive again." in html
        # Every address of the page stays inside the practice session, but signing out.
        assert f'action="/ui/practice/{key}/cases/{case_id}/messages"' in html
        assert 'action="/ui/sign-out"' in html
        assert 'href="/ui/queue"' not in html
        queue = ana.get(f"/ui/practice/{key}/queue")
        assert queue.status_code == 200
        assert "Delivery failed twice" in queue.text
    # The case lives in the sandbox's file, not in the installation's database.
    row = _session(workspace, key)
    with sqlite3.connect(tmp_path / f"{key}.sqlite3") as sandbox:
        subjects = [found[0] for found in sandbox.execute("select subject from cases")]
        assignee = sandbox.execute("select assignee from cases").fetchone()[0]
    assert subjects == ["Delivery failed twice"]
    assert assignee == "ana"
    assert row.trainee == "ana"
    assert row.status == "running"
    with workspace.database.read() as session:
        from escalon.cases.models import Case

        assert session.scalars(select(Case.subject)).all() == []


def test_the_customer_answers_a_reply_and_grows_angrier_when_ignored(
    workspace: Workspace, tmp_path: Path
) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path, training_speed=10) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        key, case_id = start(ana, slug)
        workspace.clock.advance(minutes=1)  # ten minutes of practice
        act(ana, key, case_id, "messages", body="We are looking into it.", public="true")
        workspace.clock.advance(seconds=6)  # one minute: the reply step is not due yet
        assert "speak to a manager" not in practice_page(ana, key, case_id)
        workspace.clock.advance(seconds=12)  # two more: it is
        html = practice_page(ana, key, case_id)
        assert "I want to speak to a manager now." in html
        # The reply did not take the request up and nobody escalated: five minutes later...
        workspace.clock.advance(seconds=30)
        assert "You ignored me: I asked for a manager." in practice_page(ana, key, case_id)


def test_escalating_before_the_customer_waits_stops_the_angrier_message(
    workspace: Workspace, tmp_path: Path
) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        key, case_id = start(ana, slug)
        act(ana, key, case_id, "messages", body="We are looking into it.", public="true")
        workspace.clock.advance(seconds=20)
        assert "speak to a manager now" in practice_page(ana, key, case_id)
        answer = act(
            ana, key, case_id, "escalate", target="level:supervisor", reason="Asks for a manager"
        )
        assert answer.status_code == 303, answer.text
        workspace.clock.advance(minutes=5)
        assert "You ignored me" not in practice_page(ana, key, case_id)


def test_a_silent_trainee_gets_the_still_waiting_message(
    workspace: Workspace, tmp_path: Path
) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        key, case_id = start(ana, slug)
        workspace.clock.advance(minutes=2, seconds=59)  # 29 min 50 s of practice
        assert "Still nothing?" not in practice_page(ana, key, case_id)
        workspace.clock.advance(seconds=2)
        assert "Still nothing? I am waiting." in practice_page(ana, key, case_id)


def test_a_late_careless_answer_scores_lower_than_a_prompt_careful_one(
    workspace: Workspace, tmp_path: Path
) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        good, good_case = start(ana, slug)
        workspace.clock.advance(seconds=30)
        act(ana, good, good_case, "messages", body=EMPATHETIC, public="true")
        workspace.clock.advance(seconds=20)
        act(ana, good, good_case, "escalate", target="level:supervisor", reason="Manager asked")
        assert finish(ana, good).status_code == 303
        late, late_case = start(ana, slug)
        workspace.clock.advance(hours=1)  # ten hours of practice: well past four hours
        act(ana, late, late_case, "messages", body="You should have checked the address.")
        assert finish(ana, late).status_code == 303
        page = ana.get(f"/ui/training/sessions/{late}")
    careful, careless = _session(workspace, good), _session(workspace, late)
    assert careful.score is not None
    assert careless.score is not None
    assert careful.score > careless.score
    assert careless.feedback is not None
    assert careful.feedback is not None
    by_name = {item["name"]: item for item in careless.feedback["criteria"]}
    assert by_name["response_time"]["points"] < by_name["response_time"]["out_of"]
    assert "should have checked" in " ".join(by_name["tone"]["reasons"])
    assert page.status_code == 200
    assert 'id="score"' in page.text


def test_a_practice_session_is_its_trainees_alone(workspace: Workspace, tmp_path: Path) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        key, case_id = start(ana, slug)
        admin = signed_in_client(app, workspace.tokens["admin"])
        refused = admin.get(f"/ui/practice/{key}/cases/{case_id}")
        assert refused.status_code == 403
        # A supervisor follows it from the session's page instead.
        sara = signed_in_client(app, workspace.tokens["supervisor"])
        assert sara.get(f"/ui/training/sessions/{key}").status_code == 200
        anonymous = app.get(f"/ui/practice/{key}/cases/{case_id}", follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == "/ui/sign-in"
        assert ana.get("/ui/practice/short/queue").status_code == 404
        guessed = ana.get("/ui/practice/AAAAAAAAAAAAAAAAAAAAAAAA/queue")
        assert guessed.status_code == 404
        # The installation's own pages are not served from inside a sandbox.
        for own in ("training", "training/new", "sign-in", "practice/x/queue"):
            assert ana.get(f"/ui/practice/{key}/{own}").status_code == 404


def test_an_ended_session_can_be_read_but_not_changed(workspace: Workspace, tmp_path: Path) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        key, case_id = start(ana, slug)
        html = practice_page(ana, key, case_id)
        assert finish(ana, key).status_code == 303
        late = ana.post(
            f"/ui/practice/{key}/cases/{case_id}/messages",
            data={"csrf_token": csrf_of(html), "body": "too late", "public": "true"},
            follow_redirects=False,
        )
        assert late.status_code == 409
        assert "too late" not in practice_page(ana, key, case_id)
        assert finish(ana, key).status_code == 422  # scored once


def test_a_supervisor_plays_the_customer_in_a_role_play(
    workspace: Workspace, tmp_path: Path
) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        sara = signed_in_client(app, workspace.tokens["supervisor"])
        with workspace.database.read() as session:
            from escalon.auth.models import User

            ana_id = session.scalar(select(User.id).where(User.username == "agent"))
        page = sara.get(f"/ui/training/scenarios/{slug}")
        answer = sara.post(
            "/ui/training/sessions",
            data={"csrf_token": csrf_of(page.text), "scenario": slug, "trainee": str(ana_id)},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        key = answer.headers["location"].rsplit("/", 1)[1]
        row = _session(workspace, key)
        assert row.mode == "role_play"
        assert row.trainee == "ana"
        session_page = sara.get(f"/ui/training/sessions/{key}")
        assert "Write as the customer" in session_page.text
        said = sara.post(
            f"/ui/training/sessions/{key}/customer",
            data={"csrf_token": csrf_of(session_page.text), "text": "Is anyone there? Manager!"},
            follow_redirects=False,
        )
        assert said.status_code == 303
        ana = signed_in_client(app, workspace.tokens["agent"])
        workspace.clock.advance(hours=1)  # the script's own lines stay quiet in a role-play
        html = practice_page(ana, key, row.sandbox_case_id)
        assert "Is anyone there? Manager!" in html
        assert "Still nothing?" not in html
        # The trainee cannot write as the customer.
        mine = ana.get(f"/ui/training/sessions/{key}")
        refused = ana.post(
            f"/ui/training/sessions/{key}/customer",
            data={"csrf_token": csrf_of(mine.text), "text": "forged"},
        )
        assert refused.status_code == 403


def test_a_person_has_at_most_a_few_sessions_running(workspace: Workspace, tmp_path: Path) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        for _ in range(practice.MAX_RUNNING):
            start(ana, slug)
        page = ana.get(f"/ui/training/scenarios/{slug}")
        refused = ana.post(
            "/ui/training/sessions",
            data={"csrf_token": csrf_of(page.text), "scenario": slug},
            follow_redirects=False,
        )
        assert refused.status_code == 409
        assert "finish one first" in refused.text
    assert len(list(tmp_path.glob("*.sqlite3"))) - 1 == practice.MAX_RUNNING  # and the template


def test_pruned_sandboxes_go_and_the_feedback_stays(workspace: Workspace, tmp_path: Path) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        key, _case = start(ana, slug)
        kept, _ = start(ana, slug)
        assert finish(ana, key).status_code == 303
        workspace.clock.advance(hours=1)
        with workspace.database.read() as session:
            from escalon.config import Settings

            settings = Settings(database_url=workspace.database.url, training_dir=tmp_path)
            gone = practice.prune(session, settings=settings, before=workspace.clock.now_us())
        assert gone == 1
        assert not (tmp_path / f"{key}.sqlite3").exists()
        assert (tmp_path / f"{kept}.sqlite3").exists()  # still running: kept
        page = ana.get(f"/ui/training/sessions/{key}")
        assert page.status_code == 200
        assert 'id="score"' in page.text
        assert 'id="pruned"' in page.text


def test_a_sandbox_from_an_earlier_release_is_brought_to_this_schema(
    workspace: Workspace, tmp_path: Path
) -> None:
    from alembic import command

    from escalon.database import Database
    from escalon.database.migrate import alembic_config, current_revision, head_revision

    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        key, case_id = start(ana, slug)
    old = Database(f"sqlite:///{tmp_path / f'{key}.sqlite3'}")
    command.downgrade(alembic_config(old), "0027")
    assert current_revision(old) == "0027"
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        assert "My parcel failed to arrive again." in practice_page(ana, key, case_id)
    assert current_revision(old) == head_revision()
    old.dispose()


def test_colleagues_on_the_higher_levels_acknowledge_and_decide_as_people_would(
    workspace: Workspace, tmp_path: Path
) -> None:
    from tests.builders.training import scenario

    refund = scenario(
        id="refund-300",
        skill="refund_above_authority",
        also=[],
        expect={"escalate": True, "to_level": "supervisor", "approval": {"amount": 300}},
    )
    slug = add_scenario(workspace, refund)
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        key, case_id = start(ana, slug)
        asked = act(ana, key, case_id, "approvals", kind="refund", amount="300", note="Broken")
        assert asked.status_code == 303, asked.text
        html = practice_page(ana, key, case_id)
        assert "pending" in html
        workspace.clock.advance(seconds=61)  # ten minutes and more of practice
        html = practice_page(ana, key, case_id)
        assert "approved" in html
        assert "coach-supervisor" in html
        # Acknowledged five minutes after the request sent the case up: it never climbs.
        workspace.clock.advance(minutes=6)
        with workspace.database.read() as session:
            row = practice.by_key(session, key)
        sandbox_file = tmp_path / f"{key}.sqlite3"
        with sqlite3.connect(sandbox_file) as db:
            level = db.execute("select level from cases").fetchone()[0]
            acknowledged = db.execute(
                "select acknowledged_by from escalations order by id desc limit 1"
            ).fetchone()[0]
        practice_page(ana, key, row.sandbox_case_id)
        with sqlite3.connect(sandbox_file) as db:
            assert db.execute("select level from cases").fetchone()[0] == level == "supervisor"
        assert acknowledged == "coach-supervisor"
        assert finish(ana, key).status_code == 303
    feedback = _session(workspace, key).feedback
    assert feedback is not None
    by_name = {item["name"]: item for item in feedback["criteria"]}
    assert by_name["authority"]["points"] == by_name["authority"]["out_of"]
