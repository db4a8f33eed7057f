"""Intake from social networks: posts, mentions and direct messages on their thread's case.

A public post opens a case with channel `social` (what the policy's conditions name), a direct
message one with channel `social_private`. A thread whose case is closed (final) opens a new
case and points there from then on; a post delivered again is stored once. The function
commits nothing; a concurrent delivery that registered the same thread or post first raises
`DeliveryRace` (see `escalon.channels.threads`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from escalon.cases import messages
from escalon.cases.acting import Actor
from escalon.cases.schemas import CustomerIn, MessageIn
from escalon.channels import intake, threads
from escalon.channels.schemas import SocialPostIn
from escalon.channels.threads import DeliveryRace
from escalon.core.signals import TextAnalyzer

SOCIAL = "social"
SOCIAL_POST = "social-post"
SOCIAL_PRIVATE = "social_private"  # the case channel of a direct message


def receive_social(
    session: Session,
    *,
    request: SocialPostIn,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
) -> intake.Delivered:
    """Store a post on its thread's case, or open a case for it.

    The author is the customer `network:handle`; the post's network, ids, author, publicity,
    URL and time are its message's details. A post delivered again is not stored again.
    """
    post_key = f"{request.network}:{request.post_id}"
    seen = threads.case_of(session, SOCIAL_POST, post_key)
    if seen is not None:
        found = intake.message_with(
            session,
            seen,
            (SOCIAL, SOCIAL_PRIVATE),
            network=request.network,
            post_id=request.post_id,
        )
        return intake.Delivered(seen, found[0] if found else None, duplicate=True)
    channel = SOCIAL if request.public else SOCIAL_PRIVATE
    details = _details(request)
    thread_ref = f"{request.network}:{request.thread_id or request.post_id}"
    thread = threads.thread(session, SOCIAL, thread_ref)
    if thread.case_id is None:
        case_id = _open(session, request, actor, now, analyzer, channel, details)
        message_id = intake.first_message(session, case_id)
        thread.point_to(session, case_id, now)
        result = intake.Delivered(case_id, message_id, opened=True)
    else:
        case_id = thread.case_id
        message = intake.build(MessageIn, author="customer", body=request.text, channel=channel)
        message_id = messages.post_message(
            session,
            case_id=case_id,
            request=message,
            actor=actor,
            now=now,
            analyzer=analyzer,
            details=details,
        )
        result = intake.Delivered(case_id, message_id)
    # A reply to this post (not only to the thread's first) finds the case too.
    threads.remember(session, SOCIAL, post_key, case_id, now)
    if not threads.remember(session, SOCIAL_POST, post_key, case_id, now):
        raise DeliveryRace(post_key)
    return result


def _handle(post: SocialPostIn) -> str:
    return post.author.handle.removeprefix("@") or post.author.handle


def _details(post: SocialPostIn) -> dict[str, Any]:
    """The post's network, ids, author, publicity, URL and time: what is known of them."""
    details: dict[str, Any] = {
        "network": post.network,
        "post_id": post.post_id,
        "thread_id": post.thread_id,
        "author": _handle(post),
        "public": post.public,
        "url": post.url,
        "posted_at": post.posted_at.isoformat() if post.posted_at else None,
    }
    return {name: value for name, value in details.items() if value is not None}


def _open(
    session: Session,
    post: SocialPostIn,
    actor: Actor,
    now: int,
    analyzer: TextAnalyzer | None,
    channel: str,
    details: dict[str, Any],
) -> int:
    """Open the thread's case with this post, for the customer `network:handle`."""
    network, handle = post.network, _handle(post)
    customer = intake.build(CustomerIn, ref=f"{network}:{handle}", name=post.author.name)
    where = "Public post" if post.public else "Direct message"
    return intake.open_case(
        session,
        actor=actor,
        now=now,
        analyzer=analyzer,
        details=details,
        customer=customer,
        subject=intake.subject(f"{where} on {network} by @{handle}", post.text),
        body=post.text,
        channel=channel,
    )
