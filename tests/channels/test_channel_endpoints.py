"""The intake endpoints through the API, on SQLite and PostgreSQL: the contact form, chat, phone
calls and social posts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from escalon.cases.acting import Actor
from escalon.cases.models import Case, Message
from escalon.channels.chat import receive_chat
from escalon.channels.intake import Delivered
from escalon.channels.models import ThreadRef
from escalon.channels.schemas import ChatMessageIn, SocialPostIn
from escalon.channels.social import receive_social
from escalon.channels.threads import DeliveryRace
from escalon.clock import ManualClock
from escalon.database import Database
from tests.builders.workspace import Workspace, empty_postgres, seed

FORM = {
    "name": "Kim Lee",
    "email": "kim@example.org",
    "subject": "Invoice charged twice",
    "message": "My card was charged twice for invoice 42.",
}


def get(ws: Workspace, path: str) -> Any:
    response = ws.client.get(f"/api/v1{path}", headers=ws.headers())
    assert response.status_code == 200, response.text
    return response.json()


def clock_of(ws: Workspace, case_id: int, metric: str) -> dict[str, Any]:
    sla = get(ws, f"/cases/{case_id}/sla")
    return dict(next(c for c in sla["clocks"] if c["metric"] == metric))


def count(ws: Workspace, model: type[Any]) -> int:
    with ws.database.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def chat(ws: Workspace, text: str, **fields: Any) -> Any:
    body = {
        "conversation": "conv-1",
        "customer": {"ref": "K-1", "name": "Kim", "email": "kim@example.org"},
        "author": "customer",
        "text": text,
        **fields,
    }
    return ws.client.post("/api/v1/chat/messages", json=body, headers=ws.headers("integration"))


def social(ws: Workspace, **fields: Any) -> Any:
    body = {
        "network": "twitter",
        "post_id": "1001",
        "author": {"handle": "@kimlee", "name": "Kim Lee"},
        "text": "Thanks for the quick help yesterday, all good now",
        "public": True,
        **fields,
    }
    return ws.client.post("/api/v1/social/posts", json=body, headers=ws.headers("integration"))


def from_address(ws: Workspace, host: str) -> TestClient:
    """A client of the same app that connects from another address."""
    return TestClient(ws.client.app, client=(host, 50000), raise_server_exceptions=False)


# -- the web form ------------------------------------------------------------------------------


def test_the_contact_form_opens_a_web_case_for_the_email_address(workspace: Workspace) -> None:
    response = workspace.client.post("/api/v1/forms/contact", json=FORM)  # no token
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["message"]
    case = get(workspace, f"/cases/{answer['case_id']}")
    assert case["channel"] == "web"
    assert case["subject"] == "Invoice charged twice"
    assert case["customer"]["ref"] == "kim@example.org"
    assert case["customer"]["name"] == "Kim Lee"
    (message,) = get(workspace, f"/cases/{case['id']}/messages")
    assert message["author_kind"] == "customer"
    assert message["body"] == FORM["message"]
    assert message["details"]["form"] == "contact"


def test_the_contact_form_finds_a_known_customer_by_email_and_leaves_them_unchanged(
    workspace: Workspace,
) -> None:
    known = workspace.client.post(
        "/api/v1/customers",
        json={"ref": "CRM-7", "name": "Kim", "email": "Kim@Example.org"},
        headers=workspace.headers("integration"),
    ).json()
    answer = workspace.client.post(
        "/api/v1/forms/contact", json={**FORM, "name": "Someone Else", "subject": ""}
    ).json()
    case = get(workspace, f"/cases/{answer['case_id']}")
    assert case["customer"] == {"id": known["id"], "ref": "CRM-7", "name": "Kim"}
    assert case["subject"].startswith("Contact form: My card was charged twice")


def test_a_filled_honeypot_is_answered_like_a_success_and_stores_nothing(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="escalon.channels")
    response = workspace.client.post(
        "/api/v1/forms/contact", json={**FORM, "website": "http://spam.example"}
    )
    assert response.status_code == 202
    assert response.json()["case_id"] is None
    assert count(workspace, Case) == 0
    assert "honeypot" in caplog.text


def test_a_plain_html_form_post_is_read_like_json(workspace: Workspace) -> None:
    response = workspace.client.post(
        "/api/v1/forms/contact",
        content=(
            "name=Kim+Lee&email=kim%40example.org&subject=&message=Hello%2C+caf%C3%A9+broken"
            "&category=&website="
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 202, response.text
    case = get(workspace, f"/cases/{response.json()['case_id']}")
    assert case["category"] is None
    (message,) = get(workspace, f"/cases/{case['id']}/messages")
    assert message["body"] == "Hello, café broken"


def test_a_form_post_missing_a_field_is_refused_saying_which(workspace: Workspace) -> None:
    response = workspace.client.post(
        "/api/v1/forms/contact",
        content="name=Kim&email=kim%40example.org&message=",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 422
    assert "body.message" in response.json()["message"]
    multipart = workspace.client.post(
        "/api/v1/forms/contact", files={"name": (None, "Kim")}, data={"email": "k@example.org"}
    )
    assert multipart.status_code == 415


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-address"},
        {"message": "   "},
        {"name": None},
        {"unknown": "field"},
        {"email": "a" * 195 + "@example.org"},
    ],
)
def test_a_bad_contact_form_is_refused_with_422(
    workspace: Workspace, change: dict[str, Any]
) -> None:
    body = {**FORM, **change}
    body = {name: value for name, value in body.items() if value is not None}
    response = workspace.client.post("/api/v1/forms/contact", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid"
    assert count(workspace, Case) == 0


def test_the_contact_form_is_limited_per_client_address_until_the_window_passes(
    workspace: Workspace,
) -> None:
    for number in range(5):
        response = workspace.client.post(
            "/api/v1/forms/contact", json={**FORM, "email": f"k{number}@example.org"}
        )
        assert response.status_code == 202
        workspace.clock.advance(minutes=1)
    refused = workspace.client.post("/api/v1/forms/contact", json=FORM)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    # The five posts of the window 10:00-10:10 still weigh 5 x (1 - f) at a fraction f of the
    # next window: room for one more from f = 0.2, at 10:12, 7 minutes from now.
    assert refused.headers["Retry-After"] == "420"
    assert count(workspace, Case) == 5
    elsewhere = from_address(workspace, "203.0.113.9").post("/api/v1/forms/contact", json=FORM)
    assert elsewhere.status_code == 202
    workspace.clock.advance(minutes=6)
    assert workspace.client.post("/api/v1/forms/contact", json=FORM).status_code == 429
    workspace.clock.advance(minutes=1)
    assert workspace.client.post("/api/v1/forms/contact", json=FORM).status_code == 202


def test_the_contact_form_is_limited_per_email_address_from_any_client(
    workspace: Workspace,
) -> None:
    for number in range(5):
        client = from_address(workspace, f"198.51.100.{number}")
        assert client.post("/api/v1/forms/contact", json=FORM).status_code == 202
    refused = from_address(workspace, "198.51.100.99").post("/api/v1/forms/contact", json=FORM)
    assert refused.status_code == 429
    # The window 10:00-10:10 ends in 10 minutes; its five posts weigh 4 at 10:12.
    assert int(refused.headers["Retry-After"]) == 720


# -- chat --------------------------------------------------------------------------------------


def test_a_conversation_s_first_customer_message_opens_a_case_and_later_ones_join_it(
    workspace: Workspace,
) -> None:
    first = chat(workspace, "My order never arrived", message_id="m1")
    assert first.status_code == 201, first.text
    opened = first.json()
    assert opened["opened"]
    assert not opened["duplicate"]
    assert not opened["handover"]
    case = get(workspace, f"/cases/{opened['case_id']}")
    assert case["channel"] == "chat"
    assert case["subject"] == "Chat: My order never arrived"
    with workspace.database.read() as session:
        ref = session.scalars(select(ThreadRef).where(ThreadRef.channel == "chat")).one()
    assert (ref.ref, ref.case_id) == ("conv-1", case["id"])

    workspace.clock.advance(minutes=1)
    bot = chat(workspace, "Let me check that for you.", author="bot", message_id="m2").json()
    workspace.clock.advance(minutes=1)
    again = chat(workspace, "It was order 1234", message_id="m3").json()
    assert bot["case_id"] == again["case_id"] == case["id"]
    assert not bot["opened"]
    assert not again["opened"]
    messages = get(workspace, f"/cases/{case['id']}/messages")
    assert [m["id"] for m in messages] == [
        opened["message_id"],
        bot["message_id"],
        again["message_id"],
    ]
    assert messages[1]["author"] == "chat-bot"
    assert messages[1]["details"]["bot"] is True
    assert all(m["details"]["conversation"] == "conv-1" for m in messages)
    # A bot's answer is not a person's: the first response is still to come.
    assert clock_of(workspace, case["id"], "first_response")["running"]

    workspace.clock.advance(minutes=3)
    reply = chat(workspace, "Found it, it ships today.", author="agent", agent="ana").json()
    message = get(workspace, f"/cases/{case['id']}/messages")[-1]
    assert (message["id"], message["author"], message["public"]) == (
        reply["message_id"],
        "ana",
        True,
    )
    first_response = clock_of(workspace, case["id"], "first_response")
    assert not first_response["running"]
    assert not first_response["breached"]
    assert first_response["counted_seconds"] == 5 * 60


def test_a_customer_asking_for_a_person_hands_the_chat_over(workspace: Workspace) -> None:
    opened = chat(workspace, "Where is my parcel?").json()
    answer = chat(workspace, "I want to talk to a human please")
    assert answer.status_code == 201
    assert answer.json()["handover"] is True
    assert "person will take over" in answer.json()["message"]
    case = get(workspace, f"/cases/{opened['case_id']}")
    assert "handover" in case["tags"]
    assert case["level"] == "supervisor"  # the example policy's "customer asks for a manager"
    audit = get(workspace, f"/cases/{case['id']}/audit")["items"]
    tag = next(e for e in audit if e["kind"] == "tag")
    assert tag["data"] == {"tags": ["handover"], "trigger": "chat.handover"}
    assert get(workspace, f"/cases/{case['id']}/messages")[-1]["details"]["handover"] is True
    # Asking again changes nothing more.
    assert chat(workspace, "A human, now!", handover=True).json()["handover"] is True
    assert (
        sum(e["kind"] == "tag" for e in get(workspace, f"/cases/{case['id']}/audit")["items"]) == 1
    )


def test_a_bot_may_hand_over_the_first_message_s_case_at_once(workspace: Workspace) -> None:
    answer = chat(workspace, "Refund status?", handover=True).json()
    assert answer["opened"]
    assert answer["handover"]
    assert get(workspace, f"/cases/{answer['case_id']}")["tags"] == ["handover"]


def test_a_chat_message_delivered_twice_is_stored_once(workspace: Workspace) -> None:
    first = chat(workspace, "Hello, my login fails", message_id="m1")
    again = chat(workspace, "Hello, my login fails", message_id="m1")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert (again.json()["case_id"], again.json()["message_id"]) == (
        first.json()["case_id"],
        first.json()["message_id"],
    )
    later = chat(workspace, "Still failing", message_id="m2").json()
    repeat = chat(workspace, "Still failing", message_id="m2")
    assert repeat.status_code == 200
    assert repeat.json()["message_id"] == later["message_id"]
    assert count(workspace, Case) == 1
    assert count(workspace, Message) == 2


def test_a_bot_greeting_before_the_customer_writes_is_not_stored(workspace: Workspace) -> None:
    response = chat(workspace, "Hi! How can I help?", author="bot")
    assert response.status_code == 202
    assert response.json()["case_id"] is None
    assert count(workspace, Case) == 0


def test_a_message_in_a_conversation_whose_case_is_closed_opens_a_new_case(
    workspace: Workspace,
) -> None:
    old = chat(workspace, "Broken screen").json()
    version = get(workspace, f"/cases/{old['case_id']}")["version"]
    closed = workspace.client.patch(
        f"/api/v1/cases/{old['case_id']}",
        json={"status": "closed"},
        headers=workspace.headers("agent", **{"If-Match": f'"{version}"'}),
    )
    assert closed.status_code == 200, closed.text
    new = chat(workspace, "Broken again").json()
    assert new["opened"]
    assert new["case_id"] != old["case_id"]
    assert chat(workspace, "Hello?").json()["case_id"] == new["case_id"]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"author": "agent"}, "handle"),
        ({"author": "agent", "agent": "nobody"}, "unknown agent"),
        ({"agent": "ana"}, "author 'agent' only"),
        ({"conversation": "has space"}, "conversation"),
        ({"author": "robot"}, "author"),
        ({"handover": "yes"}, "handover"),
    ],
)
def test_a_bad_chat_message_is_refused_with_422(
    workspace: Workspace, fields: dict[str, Any], problem: str
) -> None:
    chat(workspace, "Hello")  # the conversation has a case
    response = chat(workspace, "Hi there", **fields)
    assert response.status_code == 422, response.text
    assert problem in response.json()["message"]


def test_only_integrations_and_admins_relay_chat_and_social(workspace: Workspace) -> None:
    body = {"conversation": "c", "customer": {"ref": "K"}, "author": "customer", "text": "x"}
    response = workspace.client.post(
        "/api/v1/chat/messages", json=body, headers=workspace.headers("agent")
    )
    assert response.status_code == 403
    assert workspace.client.post("/api/v1/social/posts", json={}).status_code == 401


# -- phone -------------------------------------------------------------------------------------


def test_a_logged_call_is_a_public_phone_message_that_meets_the_first_response(
    workspace: Workspace,
) -> None:
    case_id = workspace.client.post("/api/v1/forms/contact", json=FORM).json()["case_id"]
    workspace.clock.advance(minutes=30)
    response = workspace.client.post(
        f"/api/v1/cases/{case_id}/calls",
        json={
            "direction": "outbound",
            "duration_seconds": 420,
            "outcome": "resolved",
            "notes": "Refunded the duplicate charge.",
        },
        headers=workspace.headers("agent"),
    )
    assert response.status_code == 201, response.text
    message = response.json()
    assert response.headers["ETag"] == f'"{get(workspace, f"/cases/{case_id}")["version"]}"'
    assert (message["author_kind"], message["author"], message["public"]) == ("agent", "ana", True)
    assert message["channel"] == "phone"
    assert message["body"] == "Refunded the duplicate charge."
    assert message["details"] == {
        "direction": "outbound",
        "duration_seconds": 420,
        "outcome": "resolved",
    }
    first_response = clock_of(workspace, case_id, "first_response")
    assert not first_response["running"]
    assert not first_response["breached"]
    assert first_response["counted_seconds"] == 30 * 60


def test_an_unanswered_call_is_an_internal_note_and_answers_nobody(workspace: Workspace) -> None:
    case_id = workspace.client.post("/api/v1/forms/contact", json=FORM).json()["case_id"]
    response = workspace.client.post(
        f"/api/v1/cases/{case_id}/calls",
        json={"direction": "outbound", "duration_seconds": 0, "outcome": "no_answer"},
        headers=workspace.headers("agent"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["public"] is False
    assert response.json()["body"] == "Outbound call, 0 s: no answer"
    assert clock_of(workspace, case_id, "first_response")["running"]


def test_an_inbound_call_opens_a_phone_case_and_its_logged_call_answers_at_once(
    workspace: Workspace,
) -> None:
    response = workspace.client.post(
        "/api/v1/calls",
        json={
            "customer": {"ref": "K-9", "name": "Kim"},
            "subject": "Cannot log in",
            "notes": "Password reset mail does not arrive.",
            "duration_seconds": 95,
            "outcome": "callback",
        },
        headers=workspace.headers("agent", **{"Idempotency-Key": "call-1"}),
    )
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["channel"] == "phone"
    opening, call = get(workspace, f"/cases/{case['id']}/messages")
    assert (opening["author_kind"], opening["body"]) == (
        "customer",
        "Password reset mail does not arrive.",
    )
    assert call["details"] == {
        "direction": "inbound",
        "duration_seconds": 95,
        "outcome": "callback",
    }
    assert call["body"] == "Inbound call, 1 min 35 s: callback"
    assert not clock_of(workspace, case["id"], "first_response")["running"]
    # The answer is the case as the logged call left it, not as it was opened (reading a case
    # alone adds what only its own page shows: whose time it was, deadlines, organisation, risk).
    only_when_read = {"attribution", "escalation_risk", "deadlines", "organisation"}
    read_alone = get(workspace, f"/cases/{case['id']}")
    assert {key: value for key, value in case.items() if key not in only_when_read} == {
        key: value for key, value in read_alone.items() if key not in only_when_read
    }
    assert response.headers["ETag"] == f'"{case["version"]}"'
    replay = workspace.client.post(
        "/api/v1/calls",
        json={
            "customer": {"ref": "K-9", "name": "Kim"},
            "subject": "Cannot log in",
            "notes": "Password reset mail does not arrive.",
            "duration_seconds": 95,
            "outcome": "callback",
        },
        headers=workspace.headers("agent", **{"Idempotency-Key": "call-1"}),
    )
    assert replay.status_code == 200
    assert replay.json()["id"] == case["id"]
    assert count(workspace, Message) == 2


def test_an_inbound_call_without_an_outcome_only_opens_the_case(workspace: Workspace) -> None:
    response = workspace.client.post(
        "/api/v1/calls",
        json={"customer": {"ref": "K-9"}, "subject": "Question", "notes": "Asks about pricing."},
        headers=workspace.headers("agent"),
    )
    assert response.status_code == 201, response.text
    assert clock_of(workspace, response.json()["id"], "first_response")["running"]


@pytest.mark.parametrize(
    "body",
    [
        {"direction": "sideways", "duration_seconds": 1, "outcome": "resolved"},
        {"direction": "inbound", "duration_seconds": -1, "outcome": "resolved"},
        {"direction": "inbound", "duration_seconds": "60", "outcome": "resolved"},
        {"direction": "inbound", "duration_seconds": 60, "outcome": "great"},
        {"direction": "inbound", "outcome": "resolved"},
    ],
)
def test_a_bad_call_is_refused_with_422(workspace: Workspace, body: dict[str, Any]) -> None:
    case_id = workspace.client.post("/api/v1/forms/contact", json=FORM).json()["case_id"]
    response = workspace.client.post(
        f"/api/v1/cases/{case_id}/calls", json=body, headers=workspace.headers("agent")
    )
    assert response.status_code == 422, response.text


def test_calls_are_logged_by_staff_on_cases_that_exist(workspace: Workspace) -> None:
    call = {"direction": "inbound", "duration_seconds": 60, "outcome": "answered"}
    missing = workspace.client.post(
        "/api/v1/cases/999/calls", json=call, headers=workspace.headers("agent")
    )
    assert missing.status_code == 404
    integration = workspace.client.post(
        "/api/v1/cases/999/calls", json=call, headers=workspace.headers("integration")
    )
    assert integration.status_code == 403
    half = workspace.client.post(
        "/api/v1/calls",
        json={"customer": {"ref": "K"}, "subject": "x", "notes": "y", "outcome": "resolved"},
        headers=workspace.headers("agent"),
    )
    assert half.status_code == 422
    assert "duration_seconds" in half.json()["message"]


# -- social ------------------------------------------------------------------------------------


def test_a_public_complaint_opens_a_social_case_the_example_policy_escalates(
    workspace: Workspace,
) -> None:
    response = social(
        workspace,
        text="@acme Worst service ever. Charged twice and nobody answers. Furious!",
        url="https://twitter.com/kimlee/status/1001",
        posted_at="2026-11-30T08:55:00Z",
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["opened"]
    assert not answer["duplicate"]
    case = get(workspace, f"/cases/{answer['case_id']}")
    assert case["channel"] == "social"
    assert case["customer"]["ref"] == "twitter:kimlee"
    assert (case["priority"], case["level"]) == ("P2", "supervisor")
    (message,) = get(workspace, f"/cases/{case['id']}/messages")
    assert message["id"] == answer["message_id"]
    assert message["details"] == {
        "network": "twitter",
        "post_id": "1001",
        "author": "kimlee",
        "public": True,
        "url": "https://twitter.com/kimlee/status/1001",
        "posted_at": "2026-11-30T08:55:00+00:00",
    }


def test_a_direct_message_opens_a_private_social_case_the_public_rule_leaves_alone(
    workspace: Workspace,
) -> None:
    answer = social(
        workspace, public=False, text="Worst service ever. Charged twice. Furious!"
    ).json()
    case = get(workspace, f"/cases/{answer['case_id']}")
    assert case["channel"] == "social_private"
    # Only the customer-message rule reads this first message (it is angry); the public one, no.
    rules = [e["rule"] for e in get(workspace, f"/cases/{answer['case_id']}/escalations")]
    assert rules == ["frustrated customer"]


def test_posts_of_a_thread_join_its_case_and_a_redelivery_is_stored_once(
    workspace: Workspace,
) -> None:
    first = social(workspace, text="Is the app down?").json()
    reply = social(workspace, post_id="1002", thread_id="1001", text="Still down for me").json()
    # A reply naming the reply (not the thread's first post) finds the case too.
    deeper = social(workspace, post_id="1003", thread_id="1002", text="Hello?").json()
    other = social(workspace, network="mastodon", post_id="1002", text="Different network").json()
    assert reply["case_id"] == deeper["case_id"] == first["case_id"] != other["case_id"]
    assert not reply["opened"]
    assert other["opened"]
    again = social(workspace, post_id="1002", thread_id="1001", text="Still down for me")
    assert again.status_code == 200
    assert again.json() == {**reply, "duplicate": True}
    assert count(workspace, Message) == 4
    assert len(get(workspace, f"/cases/{first['case_id']}/messages")) == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"network": "Twitter"}, "body.network"),
        ({"public": "yes"}, "body.public"),
        ({"posted_at": "2026-11-30T08:55:00"}, "body.posted_at"),
        ({"posted_at": 1764492900}, "body.posted_at"),
        ({"url": "javascript:alert(1)"}, "body.url"),
        ({"author": {"name": "Kim"}}, "body.author.handle"),
        ({"text": ""}, "body.text"),
    ],
)
def test_a_bad_social_post_is_refused_with_422(
    workspace: Workspace, fields: dict[str, Any], field: str
) -> None:
    response = social(workspace, **fields)
    assert response.status_code == 422, response.text
    assert field in [detail["field"] for detail in response.json()["details"]]
    assert count(workspace, Case) == 0


# -- concurrent deliveries (PostgreSQL) --------------------------------------------------------

Deliver = Callable[[Session], Delivered]


def _race(database: Database, first: Deliver, second: Deliver) -> str:
    """Run `first` and, while its transaction is open, `second`, which must block on it;
    what became of the second once the first commits."""
    first_written, release_first = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def run_first() -> None:
        with database.write() as session:
            first(session)
            first_written.set()
            release_first.wait(30)

    def run_second() -> None:
        first_written.wait(30)
        try:
            with database.write() as session:
                second(session)
            outcome["second"] = "stored"
        except DeliveryRace:
            outcome["second"] = "raced"

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while True:
        with database.engine.connect() as connection:
            waiting = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            break
        assert time.monotonic() < deadline, "the second delivery never waited for the first"
        time.sleep(0.01)
    release_first.set()
    for thread in threads:
        thread.join()
    return outcome["second"]


@pytest.fixture
def seeded_postgres(postgres_url: str, clock: ManualClock) -> Database:
    database = Database(postgres_url, pool_size=4)
    empty_postgres(database)
    seed(database, clock)
    return database


def test_a_post_delivered_twice_at_once_is_stored_once(
    seeded_postgres: Database, clock: ManualClock
) -> None:
    database = seeded_postgres
    post = SocialPostIn.model_validate(
        {"network": "x", "post_id": "7", "author": {"handle": "kim"}, "text": "Hi", "public": True}
    )
    actor = Actor(1, "integration", "integration")

    def deliver(session: Session) -> Delivered:
        return receive_social(session, request=post, actor=actor, now=clock.now_us(), analyzer=None)

    assert _race(database, deliver, deliver) == "raced"
    with database.write() as session:
        retried = deliver(session)
    assert retried.duplicate
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        assert session.scalar(select(func.count()).select_from(Message)) == 1
    database.dispose()


def test_two_first_messages_of_one_conversation_at_once_share_one_case(
    seeded_postgres: Database, clock: ManualClock
) -> None:
    database = seeded_postgres
    actor = Actor(1, "integration", "integration")

    def message(message_id: str) -> Deliver:
        request = ChatMessageIn.model_validate(
            {
                "conversation": "c-1",
                "message_id": message_id,
                "customer": {"ref": "K-1"},
                "author": "customer",
                "text": f"message {message_id}",
            }
        )
        return lambda session: receive_chat(
            session, request=request, actor=actor, now=clock.now_us(), analyzer=None, handover=False
        )

    assert _race(database, message("m1"), message("m2")) == "raced"
    with database.write() as session:
        retried = message("m2")(session)
    assert not retried.opened
    assert not retried.duplicate
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        assert session.scalar(select(func.count()).select_from(Message)) == 2
    database.dispose()
