"""Recipients in one place: a policy's word on a case, whom a reference reaches, its English and
its problems."""

from __future__ import annotations

from escalon.core import recipients
from escalon.core.assignment import AWAY, Candidate
from escalon.core.staffing import Staffing, TeamStaff
from tests.builders.engine import make_policy

LEVELS = make_policy().levels


def test_a_word_means_a_reference_on_the_case_now() -> None:
    teams = [level.team for level in LEVELS]
    assert recipients.on_case("assignee", LEVELS, 0, "ana") == "person:ana"
    assert recipients.on_case("assignee", LEVELS, 0, None) == f"team:{teams[0]}"
    assert recipients.on_case("level_team", LEVELS, 1, None) == f"team:{teams[1]}"
    assert recipients.on_case("supervisor", LEVELS, 0, None) == f"team:{teams[1]}"
    top = len(LEVELS) - 1
    assert recipients.on_case("supervisor", LEVELS, top, None) == f"team:{teams[top]}"
    assert recipients.on_case("webhook:ops", LEVELS, 0, None) == "webhook:ops"


def test_a_reference_reaches_whoever_is_there_and_each_is_named_once() -> None:
    staffing = Staffing.of(
        [
            TeamStaff("tier2", [Candidate("lena"), Candidate("omar", status=AWAY)]),
            TeamStaff("empty", []),
        ]
    )
    assert recipients.reach(staffing, "team:tier2", 0) == ["lena"]
    assert recipients.reach(staffing, "on_call:tier2", 0) == ["lena"]
    assert recipients.reach(staffing, "person:sara", 0) == ["sara"]
    assert recipients.reach(staffing, "team:empty", 0) == []
    assert recipients.reach(staffing, "webhook:ops", 0) == []
    details = recipients.notice_details(["team:tier2", "person:sara", "team:tier2"], staffing, 0)
    assert details == {
        "recipients": ["team:tier2", "person:sara"],
        "reached": {"team:tier2": ["lena"], "person:sara": ["sara"]},
    }
    assert recipients.notice_details(["team:tier2"], None, 0) == {"recipients": ["team:tier2"]}


def test_a_recipient_reads_in_english_and_on_a_timeline() -> None:
    assert recipients.english("on_call:specialists") == "whoever is on call in specialists"
    assert recipients.english("supervisor") == "the team of the level above"
    assert recipients.short("person:sara") == "sara"
    assert recipients.short("team:tier2") == "team tier2"
    assert recipients.short("level_team") == "level team"


def test_a_bad_recipient_is_named_with_what_to_write() -> None:
    assert recipients.problem("assignee", {"tier2"}) is None
    assert "use one of assignee" in (recipients.problem("boss", None) or "")
    assert recipients.problem("team:", None) == "'team:' names nobody: write team:NAME"
    unknown = recipients.problem("on_call:tier3", {"tier2"}) or ""
    assert unknown.startswith("unknown team 'tier3'")
    assert "tier2" in unknown
    assert recipients.problem("person:zoe", {"tier2"}) is None
