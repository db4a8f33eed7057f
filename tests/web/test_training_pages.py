"""The training ground's library pages: browsing, writing and filing scenarios, and who may."""

from __future__ import annotations

from pathlib import Path

import yaml

from escalon.training import library
from tests.builders.dashboard import csrf_of
from tests.builders.training import MANAGER_REQUEST, add_scenario, signed_in_client, training_app
from tests.builders.workspace import Workspace


def test_a_written_scenario_with_mistakes_is_refused_whole_naming_line_and_field(
    workspace: Workspace, tmp_path: Path
) -> None:
    with training_app(workspace, tmp_path) as app:
        sara = signed_in_client(app, workspace.tokens["supervisor"])
        form = sara.get("/ui/training/new")
        assert form.status_code == 200
        broken = yaml.safe_dump({**MANAGER_REQUEST, "skill": "juggling", "difficulty": 7})
        answer = sara.post(
            "/ui/training/new", data={"csrf_token": csrf_of(form.text), "text": broken}
        )
        assert answer.status_code == 422
        assert "Not saved: 2 problems" in answer.text
        assert "skill: unknown skill &#39;juggling&#39;" in answer.text
        assert "difficulty:" in answer.text
        with workspace.database.read() as session:
            assert library.listing(session, hidden=True) == []
        good = yaml.safe_dump(MANAGER_REQUEST)
        saved = sara.post(
            "/ui/training/new",
            data={"csrf_token": csrf_of(form.text), "text": good},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        assert saved.headers["location"] == f"/ui/training/scenarios/{MANAGER_REQUEST['id']}"
        again = sara.post("/ui/training/new", data={"csrf_token": csrf_of(form.text), "text": good})
        assert again.status_code == 422
        assert "already has a scenario" in again.text


def test_only_supervisors_write_file_and_see_hidden_scenarios(
    workspace: Workspace, tmp_path: Path
) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        sara = signed_in_client(app, workspace.tokens["supervisor"])
        assert ana.get("/ui/training/new").status_code == 403
        page = ana.get(f"/ui/training/scenarios/{slug}")
        assert "File it" not in page.text
        refused = ana.post(
            f"/ui/training/scenarios/{slug}/file",
            data={"csrf_token": csrf_of(page.text), "status": "hidden"},
        )
        assert refused.status_code == 403
        mine = sara.get(f"/ui/training/scenarios/{slug}")
        filed = sara.post(
            f"/ui/training/scenarios/{slug}/file",
            data={"csrf_token": csrf_of(mine.text), "status": "hidden", "featured": "yes"},
            follow_redirects=False,
        )
        assert filed.status_code == 303
        assert slug not in ana.get("/ui/training").text
        assert ana.get(f"/ui/training/scenarios/{slug}").status_code == 404
        assert "(hidden)" in sara.get("/ui/training").text
        # Without the form's token nothing is filed.
        forged = sara.post(f"/ui/training/scenarios/{slug}/file", data={"status": "listed"})
        assert forged.status_code in (403, 422)
        with workspace.database.read() as session:
            assert library.get(session, slug).status == "hidden"


def test_an_edit_keeps_the_id_and_loses_nobodys_work(workspace: Workspace, tmp_path: Path) -> None:
    slug = add_scenario(workspace)
    with training_app(workspace, tmp_path) as app:
        sara = signed_in_client(app, workspace.tokens["supervisor"])
        form = sara.get(f"/ui/training/scenarios/{slug}/edit")
        text = form.text
        changed = yaml.safe_dump({**MANAGER_REQUEST, "title": "A sharper title"})
        first = sara.post(
            f"/ui/training/scenarios/{slug}/edit",
            data={"csrf_token": csrf_of(text), "text": changed, "version": "1"},
            follow_redirects=False,
        )
        assert first.status_code == 303
        stale = sara.post(
            f"/ui/training/scenarios/{slug}/edit",
            data={"csrf_token": csrf_of(text), "text": changed, "version": "1"},
        )
        assert stale.status_code == 422
        assert "someone saved this scenario since you opened it" in stale.text
        renamed = yaml.safe_dump({**MANAGER_REQUEST, "id": "another-id"})
        moved = sara.post(
            f"/ui/training/scenarios/{slug}/edit",
            data={"csrf_token": csrf_of(text), "text": renamed, "version": "2"},
        )
        assert moved.status_code == 422
        with workspace.database.read() as session:
            row = library.get(session, slug)
            assert (row.title, row.version) == ("A sharper title", 2)


def test_the_library_filters_by_skill_and_difficulty(workspace: Workspace, tmp_path: Path) -> None:
    from tests.builders.training import scenario

    add_scenario(workspace)
    add_scenario(workspace, scenario(id="calm-one", skill="slow_answer", also=[], difficulty=1))
    with training_app(workspace, tmp_path) as app:
        ana = signed_in_client(app, workspace.tokens["agent"])
        angry = ana.get("/ui/training", params={"skill": "angry_customer"}).text
        assert MANAGER_REQUEST["id"] in angry  # its second skill counts
        assert "calm-one" not in angry
        easy = ana.get("/ui/training", params={"difficulty": "1"}).text
        assert "calm-one" in easy
        assert MANAGER_REQUEST["id"] not in easy
        assert ana.get("/ui/training", params={"difficulty": "9"}).status_code == 422
