"""The score of a practice session: each criterion's points and the reasons a trainee reads."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from escalon.core.durations import US_PER_MINUTE
from escalon.core.training.attempt import ApprovalMove, Attempt, Escalation, Reply
from escalon.core.training.scenario import Scenario, scenario_from
from escalon.core.training.scoring import (
    AUTHORITY,
    ESCALATION,
    RESOLUTION,
    RESPONSE_TIME,
    TONE,
    WEIGHTS,
    Feedback,
    follow_up_window,
    minutes,
    score,
)
from escalon.triage.default import DefaultDetector

MINUTE = US_PER_MINUTE


def scenario_data(**expect: Any) -> dict[str, Any]:
    return {
        "id": "manager-request-late-parcel",
        "title": "A late parcel and a request for a manager",
        "skill": "manager_request",
        "also": ["angry_customer"],
        "source": {"kind": "hand"},
        "case": {"subject": "Where is my parcel?"},
        "script": [
            {
                "when": "start",
                "after": "0s",
                "say": "My parcel is two weeks late. I want to speak to a manager now.",
                "mood": "angry",
            },
            {"when": "silence", "after": "10m", "say": "Hello?? Anyone there?", "mood": "angry"},
            {"when": "reply", "after": "2m", "say": "Fine. When will I hear back?"},
        ],
        "expect": {
            "escalate": True,
            "to_level": "supervisor",
            "first_response": "15m",
            "request_words": ["manager", "supervisor"],
            **expect,
        },
    }


MANAGER_REQUEST = scenario_from(scenario_data(), "test")


def make_scenario(**expect: Any) -> Scenario:
    return scenario_from(scenario_data(**expect), "test")


def make_attempt(**changes: Any) -> Attempt:
    base = Attempt(
        customer_messages=(0,),
        replies=(),
        escalations=(),
        approvals=(),
        trainee_level="frontline",
        authority={"refund": 50.0},
        first_response_due=15 * MINUTE,
        status="open",
        resolved_at=None,
        finished_at=60 * MINUTE,
    )
    return replace(base, **changes)


PROMPT_AND_EMPATHETIC = make_attempt(
    customer_messages=(0, 6 * MINUTE),
    replies=(
        Reply(
            4 * MINUTE,
            "I'm so sorry your parcel is late, I understand how frustrating this is. "
            "I've escalated this to my supervisor, who will call you within the hour.",
        ),
        Reply(7 * MINUTE, "Internal: courier lost the parcel at the depot.", public=False),
        Reply(8 * MINUTE, "Our supervisor Maria will call you by 3 pm today."),
    ),
    escalations=(
        Escalation(
            3 * MINUTE, "supervisor", "frontline", by_trainee=True, reason="asks for a manager"
        ),
    ),
    status="resolved",
    resolved_at=50 * MINUTE,
    root_cause="parcel lost at the depot",
)

LATE_AND_CURT = make_attempt(
    customer_messages=(0, 10 * MINUTE, 42 * MINUTE),
    replies=(
        Reply(
            40 * MINUTE,
            "Calm down. You should have tracked it yourself. There is nothing we can do.",
        ),
    ),
    escalations=(
        Escalation(
            15 * MINUTE, "supervisor", "frontline", by_trainee=False, rule="first response breach"
        ),
    ),
)


def reasons(feedback: Feedback, name: str) -> str:
    return " ".join(feedback.criterion(name).reasons)


def test_a_prompt_and_empathetic_attempt_gets_full_marks() -> None:
    feedback = score(MANAGER_REQUEST, PROMPT_AND_EMPATHETIC)
    assert feedback.total == 100
    assert [criterion.verdict for criterion in feedback.criteria] == ["excellent"] * 5
    assert feedback.summary == "100 out of 100: full marks on every criterion."
    assert "came after 4 minutes, within the target of 15 minutes." in reasons(
        feedback, RESPONSE_TIME
    )
    assert "1 of 1 answered within 10 minutes" in reasons(feedback, RESPONSE_TIME)
    assert "“I'm so sorry your parcel is late" in reasons(feedback, TONE)
    assert "“Our supervisor Maria will call you by 3 pm today.”" not in reasons(feedback, TONE)


def test_a_late_and_curt_attempt_scores_lower_and_the_reasons_name_why() -> None:
    good = score(MANAGER_REQUEST, PROMPT_AND_EMPATHETIC)
    bad = score(MANAGER_REQUEST, LATE_AND_CURT)
    assert bad.total == 18
    assert good.total - bad.total == 82
    for name in (RESPONSE_TIME, ESCALATION, TONE, RESOLUTION):
        assert bad.criterion(name).points < good.criterion(name).points
    assert bad.criterion(AUTHORITY).points == good.criterion(AUTHORITY).points
    response = reasons(bad, RESPONSE_TIME)
    assert "Your first answer came after 40 minutes, 25 minutes after it was due" in response
    assert "The message at 42 minutes was never answered (18 minutes until the session ended)" in (
        response
    )
    escalation = reasons(bad, ESCALATION)
    assert "You did not escalate; this case needed escalating to supervisor." in escalation
    assert (
        "The policy escalated the case to supervisor after 15 minutes (rule first response "
        "breach) because the customer had no answer when the first one was due" in escalation
    )
    tone = reasons(bad, TONE)
    assert "someone else: “You should have tracked it yourself.”" in tone
    assert "dismissive to an upset customer: “Calm down.”; “There is nothing we can do.” " in tone
    assert "None of your replies acknowledged" in tone
    assert "None of your replies took up what the customer asked for (manager, supervisor)" in tone
    assert bad.summary.startswith("18 out of 100: strong on use of authority; work on ")


def test_the_policy_escalating_is_never_the_trainees_decision() -> None:
    no_escalation_needed = make_scenario(escalate=False, to_level=None, request_words=[])
    feedback = score(no_escalation_needed, LATE_AND_CURT)
    escalation = feedback.criterion(ESCALATION)
    assert escalation.points == WEIGHTS[ESCALATION]
    assert "You kept the case at your level" in escalation.reasons[0]
    assert "the policy's doing, not your decision." in escalation.reasons[1]


def test_an_unnecessary_escalation_costs_most_of_the_escalation_points() -> None:
    calm = make_scenario(escalate=False, to_level=None)
    feedback = score(calm, PROMPT_AND_EMPATHETIC)
    escalation = feedback.criterion(ESCALATION)
    assert (escalation.points, escalation.verdict) == (5, "poor")
    assert escalation.reasons == (
        "You escalated to supervisor after 3 minutes, but this case could be handled at your "
        "level: an unnecessary escalation.",
    )


def test_escalating_to_the_wrong_level_costs_some() -> None:
    attempt = replace(
        PROMPT_AND_EMPATHETIC,
        escalations=(Escalation(3 * MINUTE, "team_lead", "frontline", by_trainee=True),),
    )
    escalation = score(MANAGER_REQUEST, attempt).criterion(ESCALATION)
    assert escalation.points == 15
    assert (
        "You escalated to team_lead after 3 minutes, but this case needed supervisor."
        in (escalation.reasons[0])
    )


def test_escalating_later_than_needed_costs_some_and_says_by_when() -> None:
    attempt = replace(
        PROMPT_AND_EMPATHETIC,
        escalations=(Escalation(22 * MINUTE + MINUTE // 2, "supervisor", "frontline", True),),
    )
    escalation = score(MANAGER_REQUEST, attempt).criterion(ESCALATION)
    # 7.5 minutes late on a 15-minute target: half of the lateness cost.
    assert escalation.points == WEIGHTS[ESCALATION] - 4
    assert (
        "That was 7.5 minutes later than needed: the case needed to move up by 15 minutes "
        "(the first answer was due by then)." in escalation.reasons
    )


def test_escalating_after_the_policy_did_is_late_by_the_policys_time() -> None:
    attempt = replace(
        PROMPT_AND_EMPATHETIC,
        escalations=(
            Escalation(1 * MINUTE, "supervisor", "frontline", False, rule="manager request"),
            Escalation(4 * MINUTE, "supervisor", "frontline", True),
        ),
    )
    escalation = score(MANAGER_REQUEST, attempt).criterion(ESCALATION)
    assert escalation.points < WEIGHTS[ESCALATION]
    assert "by 1 minute (the policy escalated before you did)" in " ".join(escalation.reasons)


def refund_scenario(amount: float) -> Scenario:
    return make_scenario(approval={"kind": "refund", "amount": amount})


def refund(amount: float, *, requested: bool, decided: bool, within: bool) -> ApprovalMove:
    return ApprovalMove(5 * MINUTE, "refund", amount, requested, decided, within)


def test_a_refund_decided_above_authority_scores_no_authority_points() -> None:
    attempt = replace(
        PROMPT_AND_EMPATHETIC,
        approvals=(refund(120.0, requested=False, decided=True, within=False),),
    )
    authority = score(refund_scenario(120.0), attempt).criterion(AUTHORITY)
    assert (authority.points, authority.verdict) == (0, "missed")
    assert authority.reasons == (
        "You decided a refund of 120.00 yourself, above your authority of 50.00 for a refund: "
        "it needed approval from above.",
    )


def test_a_refund_above_authority_passed_up_gets_full_marks() -> None:
    attempt = replace(
        PROMPT_AND_EMPATHETIC,
        approvals=(refund(120.0, requested=True, decided=False, within=False),),
    )
    authority = score(refund_scenario(120.0), attempt).criterion(AUTHORITY)
    assert authority.points == WEIGHTS[AUTHORITY]


def test_a_refund_within_authority_passed_up_costs_some() -> None:
    attempt = replace(
        PROMPT_AND_EMPATHETIC,
        approvals=(refund(30.0, requested=True, decided=False, within=True),),
    )
    authority = score(refund_scenario(30.0), attempt).criterion(AUTHORITY)
    assert authority.points == 8
    assert "within your authority of 50.00" in authority.reasons[0]


def test_deciding_above_authority_costs_even_when_the_scenario_expects_no_approval() -> None:
    attempt = replace(
        PROMPT_AND_EMPATHETIC,
        approvals=(refund(500.0, requested=False, decided=True, within=False),),
    )
    assert score(MANAGER_REQUEST, attempt).criterion(AUTHORITY).points == 0


def test_a_never_answered_session_scores_nothing_on_response_time_or_tone() -> None:
    attempt = make_attempt(
        customer_messages=(0, 10 * MINUTE),
        replies=(Reply(5 * MINUTE, "Checking with the courier.", public=False),),
    )
    feedback = score(MANAGER_REQUEST, attempt)
    response = feedback.criterion(RESPONSE_TIME)
    assert (response.points, response.verdict) == (0, "missed")
    assert response.reasons == (
        "You never answered the customer: the first answer was due after 15 minutes and the "
        "session ended after 60 minutes.",
        "Your 1 internal note did not reach the customer: only a public reply counts as an answer.",
    )
    assert feedback.criterion(TONE).points == 0
    assert feedback.criterion(ESCALATION).points == 0
    assert feedback.total == WEIGHTS[AUTHORITY]


def test_the_scenarios_target_applies_when_the_sandbox_has_no_due_time() -> None:
    attempt = replace(PROMPT_AND_EMPATHETIC, first_response_due=None)
    later = replace(attempt, replies=(replace(attempt.replies[0], at=16 * MINUTE),))
    assert score(MANAGER_REQUEST, attempt).criterion(RESPONSE_TIME).points == 25
    response = score(MANAGER_REQUEST, later).criterion(RESPONSE_TIME)
    assert "1 minute after it was due (the target was 15 minutes)" in response.reasons[0]


def test_later_messages_wait_at_most_until_the_customer_would_chase() -> None:
    assert follow_up_window(MANAGER_REQUEST, 15 * MINUTE) == 10 * MINUTE
    patient = scenario_from({**scenario_data(), "script": scenario_data()["script"][:1]}, "test")
    assert follow_up_window(patient, 15 * MINUTE) == 15 * MINUTE


def test_sentiment_is_reported_but_does_not_change_the_points() -> None:
    plain = score(MANAGER_REQUEST, LATE_AND_CURT)
    analysed = score(MANAGER_REQUEST, LATE_AND_CURT, analyzer=DefaultDetector())
    assert analysed.total == plain.total
    assert "The sentiment analyzer reads your replies at" in reasons(analysed, TONE)
    assert "sentiment" not in reasons(plain, TONE)


def test_feedback_is_json_ready_ordered_and_deterministic() -> None:
    feedback = score(MANAGER_REQUEST, LATE_AND_CURT)
    data = feedback.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert [criterion["name"] for criterion in data["criteria"]] == list(WEIGHTS)
    assert data["total"] == sum(criterion["points"] for criterion in data["criteria"])
    assert data["out_of"] == 100
    assert score(MANAGER_REQUEST, LATE_AND_CURT) == feedback


def test_minutes_read_as_a_trainee_reads_them() -> None:
    assert minutes(MINUTE) == "1 minute"
    assert minutes(90 * 1_000_000) == "1.5 minutes"
    assert minutes(25 * MINUTE + 20 * 1_000_000) == "25 minutes"
    assert minutes(2_000_000 * MINUTE) == "2000000 minutes"
    assert minutes(-1_000) == "0 minutes"


@given(
    first_at=st.integers(0, 180 * MINUTE),
    delay=st.integers(0, 120 * MINUTE),
    gap=st.integers(1, 60 * MINUTE),
    later_messages=st.lists(st.integers(1, 300 * MINUTE), max_size=4),
    due=st.one_of(st.none(), st.integers(0, 60 * MINUTE)),
)
def test_a_later_first_reply_never_scores_more_on_response_time(
    first_at: int, delay: int, gap: int, later_messages: list[int], due: int | None
) -> None:
    """Moving the first answer later, all else equal (it still answers the same customer
    messages, and the second answer stays where it was), never raises response_time."""
    later_at = first_at + delay
    assume(not any(first_at < message <= later_at for message in later_messages))
    second = Reply(later_at + gap, "Here is an update.")

    def attempt(at: int) -> Attempt:
        return make_attempt(
            customer_messages=(0, *later_messages),
            replies=(Reply(at, "Thanks for waiting."), second),
            first_response_due=due,
            finished_at=400 * MINUTE,
        )

    sooner = score(MANAGER_REQUEST, attempt(first_at)).criterion(RESPONSE_TIME).points
    later = score(MANAGER_REQUEST, attempt(later_at)).criterion(RESPONSE_TIME).points
    assert later <= sooner


def test_a_reply_naming_the_request_takes_it_up_and_is_quoted() -> None:
    attempt = make_attempt(
        replies=(Reply(5 * MINUTE, "Hello. I'll ask my manager to call you back today."),),
    )
    tone = score(MANAGER_REQUEST, attempt).criterion(TONE)
    assert (
        "You took up what the customer asked for (manager, supervisor): “I'll ask my manager to "
        "call you back today.”" in tone.reasons
    )
    # A next step and no blame, but no acknowledgement: 18 of the 25 points.
    assert tone.points == 18


def test_an_unrelated_reply_does_not_take_up_the_request() -> None:
    attempt = make_attempt(replies=(Reply(5 * MINUTE, "Your parcel is at the managerial depot."),))
    tone = score(MANAGER_REQUEST, attempt).criterion(TONE)
    assert "None of your replies took up what the customer asked for" in " ".join(tone.reasons)
