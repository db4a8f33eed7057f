"""The default detector's phrase grammar: who is asked for, negation, complaints, sentiment."""

from __future__ import annotations

import re

import pytest

from escalon.core.signals import COMPLAINT, MANAGER_REQUEST
from escalon.triage import DefaultDetector
from escalon.triage.default import read
from escalon.triage.grammar import CUES, MANAGER_RULES, complaint_cues, manager_rules
from escalon.triage.lexicon import MANAGER_KEYS
from escalon.triage.text import clauses, clean, fold

detector = DefaultDetector()

ASKS_FOR_A_PERSON = [
    "can I talk to a real person",
    "get me your supervisor",
    "is there a human I can chat with",
    "stop sending me to the bot",
    "transfer me to someone else",
    "I want to speak to a manager",
    "I demand to speak with your manager right now!",
    "put me through to a supervisor",
    "I'd like to escalate this to a manager",
    "I don't want to talk to a bot",
    "Why can't I talk to a human?",
    "I've been trying to reach a live agent for an hour",
    "human please",
    "Agent!",
    "is anyone there?",
    "connect me with a live agent",
    "I need to speak with someone in charge",
    "I'd rather talk to an actual human than this machine",
    "I'm tired of talking to this bot",
    "could you transfer me to another agent",
    "How do I reach a human being?",
    "Your agent was rude, I want to speak to her manager",
    "the bot is useless, give me a person",
    "you aren't helping, what do I have to do to talk to someone?",
    "i dont understand u and i wanna speak with a fucking human agent",
    "pls connect me to a customer service representative",
]

DOES_NOT_ASK_FOR_A_PERSON = [
    "My manager asked me to check the invoice",
    "I don't want to talk to a manager",
    "No, I don't need a human",
    "I do not need to speak to a supervisor, just fix it",
    "There is no need to escalate this",
    "I spoke to a manager yesterday and he promised a refund",
    "The supervisor told me to wait",
    "I need to check with my manager first",
    "Can you ask an agent how to view my invoices?",
    "How do I contact customer service?",
    "The agent was very helpful, thanks",
    "Someone stole my password",
    "Our account manager is on holiday",
    "Is this the manager's decision?",
    "Please don't transfer me to another department",
    "are you a bot?",
    "please send the invoice to my manager",
    "I need someone to fix the login page",
    "I don't have a computer at home",
    "Gotta hand it to your staff, they were great",
]


@pytest.mark.parametrize("text", ASKS_FOR_A_PERSON)
def test_requests_for_a_manager_or_a_human_are_detected(text: str) -> None:
    assert MANAGER_REQUEST in detector.analyze(text).intents


@pytest.mark.parametrize("text", DOES_NOT_ASK_FOR_A_PERSON)
def test_mentions_negations_and_the_customers_own_boss_are_not_requests(text: str) -> None:
    assert MANAGER_REQUEST not in detector.analyze(text).intents


def test_a_negated_wish_in_one_clause_does_not_cancel_a_request_in_the_next() -> None:
    assert manager_rules(fold("I don't want a bot, get me a human")) != ()
    assert manager_rules(fold("I don't want a manager, just fix it")) == ()


COMPLAINTS = [
    "This is the third time I write about this",
    "I was charged twice for the same order",
    "still not fixed after two weeks",
    "My package never arrived",
    "Nobody answers the phone, this is unacceptable",
    "I've been on hold for 2 hours",
    "The app keeps crashing when I open my invoices",
    "You sent me the wrong size",
    "Worst customer service I have ever had",
    "My internet has been down since Monday",
    "I already sent you the receipt twice and still no answer",
    "thanks for nothing",
    "my order arrived damaged",
    "the technician was supposed to come yesterday",
    "you said you would call back but you never did",
    "I've been dealing with this for two weeks",
]

NOT_COMPLAINTS = [
    "Thanks, that solved it!",
    "Can I change the delivery address of my order?",
    "What are your opening hours?",
    "Great service, thank you so much",
    "How do I download my invoice?",
    "No problem, thanks for the quick help",
    "Do you ship to Canada?",
    "Everything works fine now, thanks",
]


@pytest.mark.parametrize("text", COMPLAINTS)
def test_complaints_are_detected(text: str) -> None:
    assert COMPLAINT in detector.analyze(text).intents


@pytest.mark.parametrize("text", NOT_COMPLAINTS)
def test_questions_and_thanks_are_not_complaints(text: str) -> None:
    assert COMPLAINT not in detector.analyze(text).intents


@pytest.mark.parametrize(
    "text",
    [
        "still waiting for my refund",
        "you cancelled my flight",
        "lost my bag",
        "on hold for 2 hours",
        "thanks for losing my luggage, great job",
        "The driver was rude and the parcel is broken",
    ],
)
def test_service_failures_read_negative(text: str) -> None:
    assert detector.analyze(text).sentiment < -0.05


@pytest.mark.parametrize(
    "text", ["Thanks, that solved it!", "great service, thank you", "I love the new app"]
)
def test_praise_reads_positive(text: str) -> None:
    assert detector.analyze(text).sentiment > 0.05


def test_a_plain_question_reads_neutral() -> None:
    assert detector.analyze("What are your opening hours?").sentiment == pytest.approx(0.0)


def test_service_failure_phrases_push_below_the_lexicon_score() -> None:
    reading = read("I have been waiting for three weeks")
    assert reading.vader_compound >= 0.0
    assert reading.sentiment < reading.vader_compound


def test_sentiment_stays_within_bounds() -> None:
    worst = "Worst, most horrible, disgusting service ever!!! You lost my bag, charged me twice"
    for text in (worst, "Best, most wonderful, amazing service ever!!! Love you"):
        assert -1.0 <= detector.analyze(text).sentiment <= 1.0


def test_cleaning_removes_links_handles_and_entities() -> None:
    text = "@AcmeHelp my order &amp; refund http://t.co/abc #NeverAgain"
    assert clean(text) == "my order & refund Never Again"


def test_folding_writes_one_form_of_each_contraction() -> None:
    assert (
        fold("I can't and u dont, we're waiting 2x")
        == "i can not and you do not , we are waiting 2 times"
    )
    assert clauses(fold("No. I don't, but yes!")) == ["no", "i do not", "but yes"]


def test_detector_is_deterministic_and_cached() -> None:
    fresh = DefaultDetector(cache_size=8)
    text = "I was charged twice, get me a manager"
    first = fresh.analyze(text)
    assert fresh.analyze(text) is first
    assert DefaultDetector().analyze(text) == first
    assert first.label is None
    assert first.score is None


SENTENCES_FOR_KEYS = (
    COMPLAINTS
    + NOT_COMPLAINTS
    + ASKS_FOR_A_PERSON
    + [
        "the lights stopped working on me after a week",
        "they kept asking for the same form again and again",
        "charged my card twice for one ticket",
        "where is my refund, nobody replied",
        "sat on the tarmac for nearly 3 hours",
        "I was promised a callback and never heard back",
        "your website does not even load on my phone",
        "the parcel was delayed and then marked as lost",
        "when will you fix the app?",
    ]
)


@pytest.mark.parametrize(
    "cue", [cue for cue in CUES if cue.keys is not None], ids=lambda cue: cue.name
)
def test_a_cues_key_words_never_hide_a_match_of_its_pattern(cue: object) -> None:
    # Keys only skip a pattern that cannot match; if they hid a match, the cue would be wrong.
    from escalon.triage.grammar import Cue

    assert isinstance(cue, Cue)
    assert cue.pattern is not None
    for text in SENTENCES_FOR_KEYS:
        folded = fold(clean(text))
        words = set(folded.split())
        match = cue.pattern.search(folded)
        if match is not None:
            matched_words = set(re.findall(r"[a-z0-9']+", match.group()))
            assert cue.keys is not None
            assert not cue.keys.isdisjoint(words & matched_words), (cue.name, text)


def test_complaint_reading_names_its_cues() -> None:
    found = complaint_cues(fold("I was charged twice and nobody answers"))
    assert "money" in found.cues
    assert "no_response" in found.cues
    assert found.failure > 0


def test_the_manager_key_words_never_hide_a_rule_that_matches() -> None:
    # Rules are skipped for texts without a key word, so every match must contain one.
    for text in ASKS_FOR_A_PERSON + DOES_NOT_ASK_FOR_A_PERSON + SENTENCES_FOR_KEYS:
        for clause in clauses(fold(clean(text))):
            for name, rule, _ in MANAGER_RULES:
                match = rule.search(clause)
                if match is not None:
                    assert not MANAGER_KEYS.isdisjoint(match.group().split()), (name, text)
