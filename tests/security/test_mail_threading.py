"""Hole 2: a stranger could write into another customer's case by e-mail.

Threading by In-Reply-To/References did not look at the sender, and Escalon's own Message-IDs were
a hash of public facts. Each test plays the attack (or the legitimate use next to it) on SQLite
and PostgreSQL: a reply joins a case only when its From is the case's customer or a participant
the case knows (and, with an authserv-id set, when the receiving server verified that From);
anything else opens a case of its own under its sender's name, and learns nothing of the other.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTPUTF8
from typing import Any

from sqlalchemy import select

from escalon.cases.models import Message
from escalon.channels.mail import TRUST_FROM, Intake, MailTrust, Received, receive_email
from escalon.notifications.models import OutboxMessage
from tests.builders.workspace import Workspace

KIM = "Kim Example <kim@example.org>"
EVE = "Eve <eve@example.net>"
SERVER = "mx.escalon.example"


def mail(
    body: str = "My invoice 2291 is wrong: please refund 300 EUR to IBAN DE00 1234.",
    *,
    sender: str = KIM,
    subject: str = "Refund for invoice 2291",
    message_id: str = "<kim-1@example.org>",
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@escalon.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    # As an SMTPUTF8 client sends it: header fields in UTF-8 where they need it.
    return message.as_bytes(policy=SMTPUTF8)


def receive(ws: Workspace, raw: bytes, trust: MailTrust = TRUST_FROM) -> Received:
    return receive_email(
        ws.database, raw, now=ws.clock.now_us(), source="smtp", intake=Intake(trust=trust)
    )


def case(ws: Workspace, case_id: int) -> dict[str, Any]:
    response = ws.client.get(f"/api/v1/cases/{case_id}", headers=ws.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def messages(ws: Workspace, case_id: int) -> list[dict[str, Any]]:
    response = ws.client.get(f"/api/v1/cases/{case_id}/messages", headers=ws.headers())
    assert response.status_code == 200, response.text
    return list(response.json())


def acknowledgement(ws: Workspace, case_id: int) -> OutboxMessage:
    with ws.database.read() as session:
        return session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.case_id == case_id, OutboxMessage.kind == "acknowledgement"
            )
        ).one()


def customer_of(ws: Workspace, case_id: int) -> str:
    return str(case(ws, case_id)["customer"]["ref"])


# -- the attack: answering someone else's thread ------------------------------------------------


def test_a_stranger_answering_a_customers_mail_opens_a_case_of_their_own(
    workspace: Workspace,
) -> None:
    kims = receive(workspace, mail()).case_id
    assert kims is not None

    eves = receive(
        workspace,
        mail(
            "Please send the refund to my account instead.",
            sender=EVE,
            subject="Re: Refund for invoice 2291",
            message_id="<eve-1@example.net>",
            In_Reply_To="<kim-1@example.org>",
        ),
    )

    assert eves.outcome == "opened"
    assert eves.case_id != kims
    assert len(messages(workspace, kims)) == 1
    assert customer_of(workspace, eves.case_id or 0) == "eve@example.net"


def test_a_strangers_claim_is_tagged_for_review_with_a_note_naming_the_case(
    workspace: Workspace,
) -> None:
    kims = receive(workspace, mail()).case_id
    eves = receive(
        workspace,
        mail(
            "Refund to me",
            sender=EVE,
            message_id="<eve-1@example.net>",
            References="<kim-1@example.org>",
        ),
    ).case_id
    assert eves is not None

    assert "needs-review" in case(workspace, eves)["tags"]
    opening, note = messages(workspace, eves)
    assert opening["author"] == "eve@example.net"
    assert opening["details"]["claimed_case"] == kims
    assert (note["author_kind"], note["public"]) == ("agent", False)
    assert f"#{kims}" in note["body"]
    assert "eve@example.net" in note["body"]


def test_a_reply_to_escalons_own_message_id_threads_only_from_the_customer(
    workspace: Workspace,
) -> None:
    kims = receive(workspace, mail()).case_id
    assert kims is not None
    ours = acknowledgement(workspace, kims).message_id
    assert ours

    eves = receive(
        workspace,
        mail("Me again", sender=EVE, message_id="<eve-2@example.net>", In_Reply_To=ours),
    )
    kim_again = receive(
        workspace, mail("Any news?", message_id="<kim-2@example.org>", In_Reply_To=ours)
    )

    assert eves.outcome == "opened"

    assert eves.case_id != kims
    assert (kim_again.outcome, kim_again.case_id) == ("threaded", kims)


def test_escalons_message_ids_are_random_and_stored_not_computed(workspace: Workspace) -> None:
    first = receive(workspace, mail()).case_id
    second = receive(workspace, mail(sender=EVE, message_id="<eve-9@example.net>")).case_id
    assert first is not None
    assert second is not None
    ours = [acknowledgement(workspace, c) for c in (first, second)]

    # The idempotency key is a hash of public facts; the Message-ID owes it nothing.
    for row in ours:
        assert row.message_id is not None
        assert row.key not in row.message_id
    assert ours[0].message_id != ours[1].message_id
    # The old, computable form names no case any more.
    guessed = f"<{ours[0].key}@escalon.invalid>"
    forged = receive(
        workspace,
        mail("guess", sender=KIM, message_id="<kim-3@example.org>", In_Reply_To=guessed),
    )
    assert forged.outcome == "opened"
    assert forged.case_id != first


def test_a_case_token_in_the_subject_from_a_stranger_opens_their_own_case(
    workspace: Workspace,
) -> None:
    kims = receive(workspace, mail()).case_id

    eves = receive(
        workspace,
        mail("Add me", sender=EVE, subject=f"Re: [#{kims}] Refund", message_id="<eve-3@x>"),
    )

    assert eves.outcome == "opened"

    assert eves.case_id != kims
    assert len(messages(workspace, kims or 0)) == 1


def test_reply_to_never_makes_a_stranger_the_customer(workspace: Workspace) -> None:
    kims = receive(workspace, mail()).case_id

    # Eve writes from her own address and asks for answers to go to Kim: she is still Eve.
    eves = receive(
        workspace,
        mail(
            "hello",
            sender=EVE,
            message_id="<eve-4@x>",
            In_Reply_To="<kim-1@example.org>",
            Reply_To="kim@example.org",
        ),
    )

    assert eves.outcome == "opened"

    assert eves.case_id != kims
    assert customer_of(workspace, eves.case_id or 0) == "eve@example.net"


def test_the_customers_reply_with_a_reply_to_elsewhere_still_threads_under_the_customer(
    workspace: Workspace,
) -> None:
    kims = receive(workspace, mail()).case_id

    again = receive(
        workspace,
        mail(
            "From my phone",
            message_id="<kim-5@example.org>",
            In_Reply_To="<kim-1@example.org>",
            Reply_To="kim.private@example.com",
        ),
    )

    assert (again.outcome, again.case_id) == ("threaded", kims)
    last = messages(workspace, kims or 0)[-1]
    assert last["author"] == "kim@example.org"
    assert last["details"]["reply_to"] == "kim.private@example.com"


def test_nothing_of_the_other_case_reaches_the_stranger(workspace: Workspace) -> None:
    kims = receive(workspace, mail()).case_id
    eves = receive(
        workspace,
        mail(
            "hi",
            sender=EVE,
            subject="Re: hi",
            message_id="<eve-5@x>",
            In_Reply_To="<kim-1@example.org>",
        ),
    ).case_id

    with workspace.database.read() as session:
        to_eve = session.scalars(
            select(OutboxMessage).where(OutboxMessage.address == "eve@example.net")
        ).all()
        on_kims = session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == kims)).all()
    assert to_eve
    assert {row.case_id for row in to_eve} == {eves}
    assert all("2291" not in str(row.payload) for row in to_eve)
    assert all(row.address == "kim@example.org" for row in on_kims)


# -- participants ----------------------------------------------------------------------------


def test_a_participant_added_by_staff_writes_under_their_own_name(workspace: Workspace) -> None:
    kims = receive(workspace, mail()).case_id
    added = workspace.client.post(
        f"/api/v1/cases/{kims}/participants",
        json={"address": "Bob@Example.org"},
        headers=workspace.headers("agent"),
    )
    assert added.status_code == 201, added.text
    assert [p["address"] for p in added.json()] == ["bob@example.org"]

    bobs = receive(
        workspace,
        mail(
            "I am Kim's accountant: the IBAN is right.",
            sender="Bob <bob@example.org>",
            message_id="<bob-1@example.org>",
            In_Reply_To="<kim-1@example.org>",
        ),
    )

    assert (bobs.outcome, bobs.case_id) == ("threaded", kims)
    last = messages(workspace, kims or 0)[-1]
    assert last["author"] == "bob@example.org"
    assert last["author"] != customer_of(workspace, kims or 0)
    assert last["details"]["participant"] is True


def test_a_removed_participant_can_no_longer_write_into_the_case(workspace: Workspace) -> None:
    kims = receive(workspace, mail()).case_id
    url = f"/api/v1/cases/{kims}/participants"
    workspace.client.post(url, json={"address": "bob@example.org"}, headers=workspace.headers())
    removed = workspace.client.delete(f"{url}/bob@example.org", headers=workspace.headers())
    assert removed.status_code == 204

    bobs = receive(
        workspace,
        mail(
            "x", sender="bob@example.org", message_id="<bob-2@x>", In_Reply_To="<kim-1@example.org>"
        ),
    )

    assert bobs.outcome == "opened"

    assert bobs.case_id != kims


def test_someone_the_customer_copied_in_may_answer_under_their_own_name(
    workspace: Workspace,
) -> None:
    kims = receive(workspace, mail(Cc="Ann <ann@example.org>, support@escalon.example")).case_id

    anns = receive(
        workspace,
        mail(
            "Seconded",
            sender="ann@example.org",
            message_id="<ann-1@example.org>",
            In_Reply_To="<kim-1@example.org>",
        ),
    )

    assert (anns.outcome, anns.case_id) == ("threaded", kims)
    assert messages(workspace, kims or 0)[-1]["author"] == "ann@example.org"
    listed = workspace.client.get(f"/api/v1/cases/{kims}/participants", headers=workspace.headers())
    assert [(p["address"], p["source"]) for p in listed.json()] == [("ann@example.org", "cc")]


def test_a_stranger_cannot_copy_themselves_into_a_case(workspace: Workspace) -> None:
    kims = receive(workspace, mail()).case_id
    receive(
        workspace,
        mail(
            "cc me",
            sender=EVE,
            message_id="<eve-6@x>",
            In_Reply_To="<kim-1@example.org>",
            Cc="mallory@example.net",
        ),
    )

    listed = workspace.client.get(f"/api/v1/cases/{kims}/participants", headers=workspace.headers())
    assert listed.json() == []


def test_only_staff_who_see_the_case_manage_its_participants(workspace: Workspace) -> None:
    kims = receive(workspace, mail()).case_id
    url = f"/api/v1/cases/{kims}/participants"

    by_integration = workspace.client.post(
        url, json={"address": "eve@example.net"}, headers=workspace.headers("integration")
    )
    not_an_address = workspace.client.post(
        url, json={"address": "nobody"}, headers=workspace.headers()
    )
    no_case = workspace.client.post(
        "/api/v1/cases/999999/participants",
        json={"address": "eve@example.net"},
        headers=workspace.headers(),
    )

    assert by_integration.status_code == 403
    assert not_an_address.status_code == 422
    assert no_case.status_code == 404


# -- addresses compared properly ---------------------------------------------------------------


def test_the_customers_address_matches_whatever_the_case_of_its_domain(
    workspace: Workspace,
) -> None:
    kims = receive(workspace, mail()).case_id

    again = receive(
        workspace,
        mail(
            "Upper case",
            sender="KIM@EXAMPLE.ORG",
            message_id="<kim-6@example.org>",
            In_Reply_To="<kim-1@example.org>",
        ),
    )

    assert (again.outcome, again.case_id) == ("threaded", kims)


def test_an_international_domain_matches_in_unicode_and_in_its_ascii_form(
    workspace: Workspace,
) -> None:
    first = receive(
        workspace,
        mail(sender="Jörg <joerg@bücher.example>", message_id="<j-1@bücher.example>"),
    ).case_id
    assert customer_of(workspace, first or 0) == "joerg@bücher.example"

    again = receive(
        workspace,
        mail(
            "Nochmal",
            sender="joerg@xn--bcher-kva.example",
            message_id="<j-2@bücher.example>",
            In_Reply_To="<j-1@bücher.example>",
        ),
    )

    assert (again.outcome, again.case_id) == ("threaded", first)


# -- spoofed From: the receiving server's verdict -----------------------------------------------


def verdict(dmarc: str, domain: str = "example.org", server: str = SERVER) -> str:
    return f"{server}; dkim=none; spf=none; dmarc={dmarc} (p=reject) header.from={domain}"


def test_with_an_authserv_id_a_spoofed_from_does_not_thread(workspace: Workspace) -> None:
    trust = MailTrust(authserv_id=SERVER)
    kims = receive(workspace, mail(Authentication_Results=verdict("pass")), trust).case_id

    forged = receive(
        workspace,
        mail(
            "Refund to DE99 instead",
            message_id="<forged@x>",
            In_Reply_To="<kim-1@example.org>",
            Authentication_Results=verdict("fail"),
        ),
        trust,
    )

    assert forged.outcome == "opened"

    assert forged.case_id != kims
    assert len(messages(workspace, kims or 0)) == 1
    opened = case(workspace, forged.case_id or 0)
    assert "needs-review" in opened["tags"]


def test_with_an_authserv_id_a_verified_customer_threads(workspace: Workspace) -> None:
    trust = MailTrust(authserv_id=SERVER)
    kims = receive(workspace, mail(Authentication_Results=verdict("pass")), trust).case_id

    for number, results in enumerate(
        (
            verdict("pass"),
            f"{SERVER}; dkim=pass header.d=mail.example.org; dmarc=none",
            f"{SERVER}; spf=pass smtp.mailfrom=bounces@example.org",
        )
    ):
        again = receive(
            workspace,
            mail(
                f"news {number}?",
                message_id=f"<kim-v{number}@example.org>",
                In_Reply_To="<kim-1@example.org>",
                Authentication_Results=results,
            ),
            trust,
        )
        assert (again.outcome, again.case_id) == ("threaded", kims), results


def test_results_of_another_server_or_an_unaligned_domain_do_not_count(
    workspace: Workspace,
) -> None:
    trust = MailTrust(authserv_id=SERVER)
    kims = receive(workspace, mail(Authentication_Results=verdict("pass")), trust).case_id

    for number, results in enumerate(
        (
            verdict("pass", server="mx.attacker.example"),
            f"{SERVER}; dkim=pass header.d=attacker.example",
            f"{SERVER}; spf=pass smtp.mailfrom=x@attacker.example",
            f"{SERVER}; dmarc=pass header.from=attacker.example",
        )
    ):
        forged = receive(
            workspace,
            mail(
                f"forged {number}",
                message_id=f"<forged-{number}@x>",
                In_Reply_To="<kim-1@example.org>",
                Authentication_Results=results,
            ),
            trust,
        )
        assert forged.outcome == "opened", results
        assert forged.case_id != kims, results
    assert len(messages(workspace, kims or 0)) == 1


def test_a_forged_results_field_below_the_servers_own_does_not_count(
    workspace: Workspace,
) -> None:
    trust = MailTrust(authserv_id=SERVER)
    kims = receive(workspace, mail(Authentication_Results=verdict("pass")), trust).case_id
    message = EmailMessage()
    # What the server wrote on arrival (topmost), then what the sender put in the mail.
    message["Authentication-Results"] = verdict("fail")
    message["Authentication-Results"] = verdict("pass")
    message["From"] = KIM
    message["Subject"] = "Re: Refund"
    message["Message-ID"] = "<forged-below@x>"
    message["In-Reply-To"] = "<kim-1@example.org>"
    message.set_content("Pay DE99")

    forged = receive(workspace, message.as_bytes(), trust)

    assert forged.outcome == "opened"

    assert forged.case_id != kims


def test_with_an_authserv_id_the_case_token_needs_a_verified_customer(
    workspace: Workspace,
) -> None:
    trust = MailTrust(authserv_id=SERVER)
    kims = receive(workspace, mail(Authentication_Results=verdict("pass")), trust).case_id

    forged = receive(
        workspace,
        mail("token", subject=f"[#{kims}] Refund", message_id="<forged-t@x>"),
        trust,
    )

    assert forged.outcome == "opened"

    assert forged.case_id != kims


def test_a_participants_message_is_never_shown_under_the_customers_name(
    workspace: Workspace,
) -> None:
    kims = receive(workspace, mail(Cc="ann@example.org")).case_id
    receive(
        workspace,
        mail(
            "Ann here",
            sender="ann@example.org",
            message_id="<ann-2@x>",
            In_Reply_To="<kim-1@example.org>",
        ),
    )

    with workspace.database.read() as session:
        authors = session.scalars(
            select(Message.author).where(Message.case_id == kims).order_by(Message.id)
        ).all()
    assert authors == ["kim@example.org", "ann@example.org"]
