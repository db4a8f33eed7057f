"""Inbound e-mail: parsed whatever its shape, threaded into its case, and never lost; sent over
real SMTP to Escalon's endpoint on SQLite and PostgreSQL."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from escalon.cases.models import Message
from escalon.channels.email import (
    authentication_results,
    html_to_text,
    normalise_address,
    parse_email,
    reply_text,
)
from escalon.channels.mail import MailLimits, receive_email
from escalon.channels.mail_identity import content_fingerprint
from escalon.channels.models import Attachment, InboundEmail
from escalon.core.text import one_line
from tests.builders.cases import cases, messages
from tests.builders.mail import REPLY, Endpoint, mail
from tests.builders.workspace import Workspace

# -- parsing ------------------------------------------------------------------------------------


def test_a_reply_keeps_the_new_text_without_quoted_history_or_signature() -> None:
    assert reply_text(REPLY) == "Thanks, restarting fixed it."


def test_an_html_only_mail_is_read_as_its_visible_text() -> None:
    message = mail()
    message.set_content(
        "<html><head><style>p{}</style></head><body><p>Hello,</p><p>the <b>app</b> "
        "crashes.</p></body></html>",
        subtype="html",
    )
    parsed = parse_email(message.as_bytes())
    assert parsed.html_only
    assert parsed.text == "Hello,\nthe\napp\ncrashes."
    assert "p{}" not in html_to_text("<style>p{}</style><p>x</p>")


def test_attachments_are_read_with_their_names_and_types() -> None:
    message = mail()
    message.add_attachment(
        b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="invoice 2291.pdf"
    )
    parsed = parse_email(message.as_bytes())
    (attachment,) = parsed.attachments
    assert (attachment.filename, attachment.content_type) == ("invoice 2291.pdf", "application/pdf")
    assert attachment.data == b"%PDF-1.4 invoice"


def test_a_mail_in_a_legacy_charset_is_decoded() -> None:
    raw = (
        b"From: kim@example.org\r\nSubject: =?iso-8859-1?q?Gr=FC=DFe?=\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nS\xfc\xdfe Gr\xfc\xdfe\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.subject == "Grüße"
    assert parsed.text.strip() == "Süße Grüße"


def test_an_unknown_charset_is_read_as_utf8_and_the_problem_noted() -> None:
    raw = (
        b"From: kim@example.org\r\nSubject: hi\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nplain words \xc3\xa9\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.text.strip() == "plain words é"
    assert any("x-no-such-charset" in problem for problem in parsed.problems)


def test_header_injection_in_a_subject_is_flattened_to_one_line() -> None:
    raw = (
        b"From: kim@example.org\r\n"
        b"Subject: =?utf-8?q?Hello=0D=0ABcc:_evil@example.net?=\r\n\r\nbody\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.subject == "Hello Bcc: evil@example.net"
    assert "\n" not in one_line("a\r\nb\x00c")


def test_replies_name_the_messages_they_answer_most_direct_first() -> None:
    message = mail(In_Reply_To="<b@x>", References="<a@x> <b@x>")
    parsed = parse_email(message.as_bytes())
    assert parsed.thread_ids == ("<b@x>", "<a@x>")


# -- intake -------------------------------------------------------------------------------------


@pytest.fixture
def endpoint(workspace: Workspace) -> Iterator[Endpoint]:
    running = Endpoint(workspace, MailLimits(message_bytes=200_000, attachment_bytes=50_000))
    running.controller.start()
    try:
        yield running
    finally:
        running.controller.stop()


def test_a_new_mail_opens_a_case_for_its_sender(endpoint: Endpoint) -> None:
    endpoint.send(mail())
    (case,) = cases(endpoint.ws)
    assert (case["channel"], case["subject"], case["customer"]["ref"]) == (
        "email",
        "Printer on fire",
        "kim@example.org",
    )
    (first,) = messages(endpoint.ws, case["id"])
    assert first["body"] == "My printer is on fire."
    assert first["details"]["message_id"] == "<m1@example.org>"


def test_a_reply_is_threaded_into_its_case_without_the_quoted_history(endpoint: Endpoint) -> None:
    endpoint.send(mail())
    endpoint.send(
        mail(
            REPLY,
            subject="Re: Printer on fire",
            message_id="<m2@example.org>",
            In_Reply_To="<m1@example.org>",
        )
    )
    (case,) = cases(endpoint.ws)
    bodies = [m["body"] for m in messages(endpoint.ws, case["id"])]
    assert bodies == ["My printer is on fire.", "Thanks, restarting fixed it."]


def test_a_case_token_in_the_subject_threads_a_mail_from_the_cases_customer(
    endpoint: Endpoint,
) -> None:
    endpoint.send(mail())
    (case,) = cases(endpoint.ws)
    endpoint.send(
        mail("Any news?", subject=f"Re: [#{case['id']}] Printer on fire", message_id="<m3@x>")
    )
    endpoint.send(
        mail(
            "Me too",
            subject=f"[#{case['id']}] hijack",
            sender="eve@example.net",
            message_id="<m4@x>",
        )
    )
    assert len(messages(endpoint.ws, case["id"])) == 2
    assert len(cases(endpoint.ws)) == 2  # a stranger's mail opens its own case


def test_attachments_are_kept_and_one_above_the_limit_is_noted(endpoint: Endpoint) -> None:
    message = mail()
    message.add_attachment(b"small", maintype="text", subtype="plain", filename="log.txt")
    message.add_attachment(
        b"x" * 60_000, maintype="application", subtype="octet-stream", filename="dump.bin"
    )
    endpoint.send(message)
    with endpoint.ws.database.read() as session:
        kept = session.execute(select(Attachment.filename, Attachment.size)).all()
        inbound = session.scalars(select(InboundEmail)).one()
    assert kept == [("log.txt", 5)]
    assert "dump.bin" in (inbound.error or "")
    assert inbound.status == "opened"


def test_a_message_above_the_size_limit_is_refused_during_the_transfer(endpoint: Endpoint) -> None:
    with pytest.raises(smtplib.SMTPException) as refused:
        endpoint.send(mail("y" * 300_000))
    assert "552" in str(refused.value)
    assert cases(endpoint.ws) == []


def test_an_unreadable_mail_is_stored_raw_and_opens_a_case_flagged_for_review(
    endpoint: Endpoint,
) -> None:
    garbage = b"\x00\x01 not a mail at all \xff\xfe"
    endpoint.send(garbage)
    (case,) = cases(endpoint.ws)
    assert "needs-review" in case["tags"]
    with endpoint.ws.database.read() as session:
        inbound = session.scalars(select(InboundEmail)).one()
    assert inbound.raw.rstrip(b"\r\n") == garbage  # as it arrived (SMTP ends data with CRLF)
    assert (inbound.status, inbound.case_id) == ("review", case["id"])


def test_a_mail_answering_a_closed_case_opens_a_new_one_that_says_so(
    workspace: Workspace,
) -> None:
    first = receive_email(
        workspace.database, mail().as_bytes(), now=workspace.clock.now_us(), source="api"
    )
    closed = workspace.client.patch(
        f"/api/v1/cases/{first.case_id}",
        json={"status": "closed"},
        headers=workspace.headers("agent", **{"If-Match": '"1"'}),
    )
    assert closed.status_code == 200, closed.text
    again = receive_email(
        workspace.database,
        mail("Still broken", message_id="<m9@x>", In_Reply_To="<m1@example.org>").as_bytes(),
        now=workspace.clock.now_us(),
        source="api",
    )
    assert again.outcome == "opened"
    assert again.case_id != first.case_id
    with workspace.database.read() as session:
        details = session.scalar(select(Message.details).where(Message.id == again.message_row_id))
    assert details is not None
    assert details["follows_case"] == first.case_id


def test_the_same_mail_delivered_twice_is_taken_once(endpoint: Endpoint) -> None:
    endpoint.send(mail())
    endpoint.send(mail())
    (case,) = cases(endpoint.ws)
    assert len(messages(endpoint.ws, case["id"])) == 1


# -- addresses, verdicts and fingerprints ---------------------------------------------------------


def test_the_sender_is_the_from_address_not_the_reply_to() -> None:
    parsed = parse_email(mail(Reply_To="Other <other@example.net>").as_bytes())
    assert (parsed.sender, parsed.reply_to) == ("kim@example.org", "other@example.net")


def test_addresses_are_normalised_in_case_and_idna_form() -> None:
    assert normalise_address("Kim@EXAMPLE.Org") == "kim@example.org"
    assert normalise_address("<jörg@XN--BCHER-KVA.example>") == "jörg@bücher.example"
    assert normalise_address("not an address") is None


def test_raw_utf8_header_fields_are_read_as_utf8() -> None:
    raw = "From: Jörg <jörg@bücher.example>\r\nSubject: Grüße\r\n\r\nHallo\r\n".encode()
    parsed = parse_email(raw)
    assert (parsed.sender, parsed.sender_name, parsed.subject) == (
        "jörg@bücher.example",
        "Jörg",
        "Grüße",
    )


def test_authentication_results_are_read_with_comments_quotes_and_utf8() -> None:
    (dmarc, dkim) = authentication_results(
        [
            'mx.example.net; dmarc=pass (p=reject; "x") header.from=bücher.example; '
            'dkim=pass (good) header.d=bücher.example header.s="s 1"',
            "mx.example.net; dmarc=fail header.from=bücher.example",  # an earlier field: ignored
            "spf=pass smtp.mailfrom=x@y",  # no authserv-id: ignored
        ]
    )
    assert (dmarc.authserv_id, dmarc.method, dmarc.result) == ("mx.example.net", "dmarc", "pass")
    assert dmarc.get("header.from") == "bücher.example"
    assert dkim.get("header.s") == "s 1"


def test_the_fingerprint_ignores_trace_fields_and_line_endings_but_not_content() -> None:
    plain = mail().as_bytes()
    relayed = b"Received: from mx2\r\nDelivered-To: support@x\r\n" + plain.replace(b"\r\n", b"\n")
    other = mail("Something else").as_bytes()
    assert content_fingerprint(plain) == content_fingerprint(relayed)
    assert content_fingerprint(plain) != content_fingerprint(other)
