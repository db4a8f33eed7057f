"""Staff notices carry their context: the case link, the reason, the customer's latest words
(shortened), the priority and the due instant in the reader's time zone; chat webhooks get
Slack's Block Kit or a Teams Adaptive Card, with what people wrote kept as text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import insert

from escalon.cases.models import Message
from escalon.notifications import notices
from escalon.notifications.chat_formats import ADAPTIVE_CARD
from escalon.notifications.delivery import deliver_due
from escalon.notifications.notices import WORDS_LIMIT, shorten
from escalon.worker.timers import tick
from tests.builders.cases import open_case
from tests.builders.notifications import (
    LOOPBACK_WEBHOOKS,
    customer_writes,
    settings_for,
    staff_mail,
    use_staff_policy,
)
from tests.builders.workspace import Workspace
from tests.support.smtp import SmtpServer
from tests.support.webhooks import Receiver

# The webhook receiver listens on 127.0.0.1: webhooks to it are allowed explicitly.
WORKSPACE_SETTINGS = LOOPBACK_WEBHOOKS
PUBLIC = "http://127.0.0.1:8000"  # the workspace's public URL (the settings' default)
HOSTILE = (
    "<!channel> <@U024BE7LH> *all* _of_ `you` <https://evil.example|click here> "
    "[a link](https://evil.example) <b>bold</b> & <script>alert(1)</script>"
)


def add_webhook(ws: Workspace, at: Receiver, chat_format: str) -> None:
    created = ws.client.post(
        "/api/v1/webhooks",
        json={"name": "team-chat", "url": at.url, "format": chat_format},
        headers=ws.headers(),
    )
    assert created.status_code == 201, created.text
    assert created.json()["format"] == chat_format


def breach(ws: Workspace) -> None:
    """Let the first response target (1 hour) pass and the worker fire it."""
    ws.clock.advance(minutes=61)
    assert tick(ws.database, now=ws.clock.now_us(), batch=10).claimed == 1


def deliver(ws: Workspace, **settings: Any) -> None:
    report = deliver_due(ws.database, clock=ws.clock, settings=settings_for(ws, **settings))
    assert report.errors == []


def only_post(got: Receiver) -> dict[str, Any]:
    (request,) = got.requests
    document: dict[str, Any] = json.loads(request.body)
    return document


def test_a_slack_receiver_gets_block_kit_with_the_case_link_and_the_customers_words(
    workspace: Workspace,
    receiver: Receiver,
) -> None:
    add_webhook(workspace, receiver, "slack")
    use_staff_policy(workspace)
    case = open_case(workspace)
    breach(workspace)
    deliver(workspace)
    document = only_post(receiver)
    link = f"{PUBLIC}/ui/cases/{case['id']}"
    assert link in document["text"]  # the plain-text fallback
    assert "The printer is on fire." in document["text"]
    blocks = document["blocks"]
    assert [block["type"] for block in blocks] == [
        "header",
        "section",
        "section",
        "context",
        "actions",
    ]
    header = blocks[0]["text"]
    assert header["type"] == "plain_text"
    assert header["text"] == f"#{case['id']} first response breached: Printer on fire"
    assert (
        'Rule "first response breached": the first response target was missed.'
        in (blocks[1]["text"]["text"])
    )
    fields = [field["text"] for field in blocks[1]["fields"]]
    assert "*Priority*\nP2" in fields
    # A team's webhook reads times in the calendar's zone (UTC here): due one hour after 09:00.
    assert "*Due*\nMon 30 Nov 2026, 10:00 UTC (first response)" in fields
    assert "The printer is on fire." in blocks[2]["text"]["text"]
    (button,) = blocks[4]["elements"]
    assert (button["type"], button["url"]) == ("button", link)
    assert document["unfurl_links"] is False


def test_a_teams_receiver_gets_a_message_with_an_adaptive_card(
    workspace: Workspace,
    receiver: Receiver,
) -> None:
    add_webhook(workspace, receiver, "teams")
    use_staff_policy(workspace)
    case = open_case(workspace)
    breach(workspace)
    deliver(workspace)
    document = only_post(receiver)
    assert document["type"] == "message"
    (attachment,) = document["attachments"]
    assert attachment["contentType"] == ADAPTIVE_CARD
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["version"] == "1.4"
    assert_valid_card_elements(card["body"])
    runs = [inline["text"] for block in card["body"] for inline in block.get("inlines", ())]
    assert f"#{case['id']} first response breached: Printer on fire" in runs
    assert "The printer is on fire." in runs
    (facts,) = [block["facts"] for block in card["body"] if block["type"] == "FactSet"]
    assert {"title": "Priority", "value": "P2"} in facts
    (action,) = card["actions"]
    assert action == {
        "type": "Action.OpenUrl",
        "title": f"Open case #{case['id']}",
        "url": f"{PUBLIC}/ui/cases/{case['id']}",
    }


def assert_valid_card_elements(body: list[dict[str, Any]]) -> None:
    """Each element is one Adaptive Cards 1.4 knows, with the properties it requires."""
    for element in body:
        if element["type"] == "RichTextBlock":
            assert element["inlines"]
            for inline in element["inlines"]:
                assert inline["type"] == "TextRun"
                assert isinstance(inline["text"], str)
                assert inline["text"]
        elif element["type"] == "FactSet":
            for fact in element["facts"]:
                assert set(fact) == {"title", "value"}
                assert all(isinstance(value, str) for value in fact.values())
        else:
            raise AssertionError(f"unexpected element {element['type']}")


def test_an_email_notice_has_link_reason_latest_message_priority_and_due_in_the_readers_zone(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    use_staff_policy(workspace)  # ana (frontline) reads in Europe/Berlin
    case = open_case(workspace)
    customer_writes(
        workspace,
        case["id"],
        "Still burning, and now the toner smells.\n\nSecond paragraph with details.\n"
        "> quoted earlier mail",
    )
    breach(workspace)
    deliver(workspace, smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    mails = [
        mail.message
        for mail in smtp_server.recorder.received
        if mail.rcpt_tos == ["ana@example.org"]
    ]
    subjects = [str(mail["Subject"]) for mail in mails]
    assert subjects == [
        f"#{case['id']} tell the team - Printer on fire (P2)",
        f"#{case['id']} first response breached - Printer on fire (P2)",
    ]
    text = mails[1].get_content()
    assert f"Open the case: {PUBLIC}/ui/cases/{case['id']}" in text
    assert 'Why:      Rule "first response breached": the first response target was missed.' in text
    assert "Priority: P2" in text
    assert "Due:      Mon 30 Nov 2026, 11:00 CET (first response)" in text
    # The latest message, its first paragraph only: read from the database at firing time.
    assert '"Still burning, and now the toner smells."' in text
    assert "Second paragraph" not in text
    # The notice of the message itself quotes it too (from the change that wrote it).
    assert '"Still burning, and now the toner smells."' in mails[0].get_content()
    (row,) = [row for row in staff_mail(workspace) if row.payload["trigger"] == "sla.breach"]
    assert row.payload["recipient_timezone"] == "Europe/Berlin"


def test_a_manual_escalation_tells_the_new_team_who_escalated_and_why(
    workspace: Workspace, smtp_server: SmtpServer
) -> None:
    use_staff_policy(workspace)
    case = open_case(workspace)
    escalated = workspace.client.post(
        f"/api/v1/cases/{case['id']}/escalations",
        json={
            "kind": "hierarchical",
            "to_level": "supervisor",
            "reason": "Customer threatens to cancel the contract",
        },
        headers=workspace.headers("agent"),
    )
    assert escalated.status_code == 200, escalated.text
    deliver(workspace, smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    (mail,) = [
        m.message for m in smtp_server.recorder.received if m.rcpt_tos == ["sara@example.org"]
    ]
    assert mail["Subject"] == (
        f"#{case['id']} escalated to supervisor by ana - Printer on fire (P2)"
    )
    text = mail.get_content()
    assert (
        "Why:      ana escalated the case to level supervisor: "
        "Customer threatens to cancel the contract."
    ) in text
    assert '"The printer is on fire."' in text


def test_hostile_customer_text_is_escaped_and_shortened_for_slack(
    workspace: Workspace,
    receiver: Receiver,
) -> None:
    add_webhook(workspace, receiver, "slack")
    use_staff_policy(workspace)
    case = open_case(workspace, subject="<!here> Printer & <fire>")
    # A 1 MB mail whose first paragraph tries mentions, links and markup.
    with workspace.database.write() as session:
        session.execute(
            insert(Message).values(
                case_id=case["id"],
                at=workspace.clock.now_us(),
                author_kind="customer",
                author="K-1",
                public=True,
                channel="email",
                body=HOSTILE + " " + "x" * 1_000_000,
            )
        )
    breach(workspace)
    deliver(workspace)
    (request,) = receiver.requests
    assert len(request.body) < 10_000
    document = only_post(receiver)
    raw = json.dumps(document)
    for injected in ("<!channel>", "<!here>", "<@U024BE7LH>", "<https://evil", "<script>", "<b>"):
        assert injected not in raw
    words = document["blocks"][2]["text"]
    assert words["verbatim"] is True
    assert "&lt;!channel&gt; &lt;@U024BE7LH&gt;" in words["text"]
    assert "&amp; &lt;script&gt;" in words["text"]
    quoted = words["text"].split("\n>", 1)[1]
    shown = quoted.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert len(shown) <= WORDS_LIMIT
    assert quoted.endswith("…")
    assert "&lt;!here&gt; Printer &amp; &lt;fire&gt;" in document["blocks"][0]["text"]["text"]


def test_hostile_customer_text_stays_text_in_a_teams_card(
    workspace: Workspace,
    receiver: Receiver,
) -> None:
    add_webhook(workspace, receiver, "teams")
    use_staff_policy(workspace)
    case = open_case(workspace, body=HOSTILE)
    breach(workspace)
    deliver(workspace)
    card = only_post(receiver)["attachments"][0]["content"]
    assert_valid_card_elements(card["body"])
    # Only TextRuns (no Markdown) hold what the customer wrote; the FactSet holds none of it.
    facts = json.dumps([block for block in card["body"] if block["type"] == "FactSet"])
    assert "evil" not in facts
    runs = [inline["text"] for block in card["body"] for inline in block.get("inlines", ())]
    assert HOSTILE in runs
    assert card["actions"][0]["url"] == f"{PUBLIC}/ui/cases/{case['id']}"


def test_the_customers_words_are_their_first_own_paragraph_on_one_line() -> None:
    mail = "> On Monday you wrote:\r\n> something\r\n\r\nStill\r\nbroken.\r\n\r\nRegards, Kim"
    assert shorten(mail) == "Still broken."
    assert shorten("   \n\n> only a quotation") is None
    assert shorten(None) is None
    long = "word " * 200
    cut = shorten(long)
    assert cut is not None
    assert len(cut) <= WORDS_LIMIT
    assert cut.endswith("word…")


@pytest.mark.parametrize(
    ("trigger", "metric", "expected"),
    [
        ("sla.breach", "first_response", 'Rule "r": the first response target was missed.'),
        ("customer.sentiment_drop", None, 'Rule "r": the customer\'s sentiment fell.'),
        ("survey.answered", None, 'Rule "r": the customer answered the satisfaction survey.'),
    ],
)
def test_a_notice_says_in_words_what_set_its_rule_off(
    trigger: str, metric: str | None, expected: str
) -> None:
    assert notices.reason({"trigger": trigger, "rule": "r", "metric": metric}) == expected
