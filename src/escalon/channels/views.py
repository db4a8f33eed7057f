"""HTTP endpoints of the intake channels: the public contact form, chat, phone calls and social
posts. They translate requests to the channel modules (webform, chat, phone, social) and back."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Header, Path, Request, Response, status
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from escalon.auth.access import Context, Staff, require, services
from escalon.cases import queries, visibility
from escalon.cases import views as case_views
from escalon.cases.opening import Opened
from escalon.cases.schemas import CaseOut, MessageOut
from escalon.channels import chat, phone, social, webform
from escalon.channels.intake import Delivered
from escalon.channels.schemas import (
    CallIn,
    ChatMessageIn,
    ChatOut,
    ContactAccepted,
    ContactForm,
    InboundCallIn,
    SocialOut,
    SocialPostIn,
)
from escalon.channels.threads import DeliveryRace
from escalon.errors import Conflict, ErrorBody, EscalonError, Invalid, error_responses
from escalon.outputs import from_row
from escalon.ratelimits.edge import limits_of
from escalon.request_params import IfMatch
from escalon.services import Services

log = logging.getLogger("escalon.channels")

Id = Annotated[int, Path(ge=1, le=2**62, description="a numeric id")]
# The chat widget's and the social network's backends: an integration (or an admin) token.
Integration = Annotated[Context, Depends(require("integration", "admin"))]
ATTEMPTS = 3  # transactions tried when concurrent deliveries race for one thread


class UnsupportedMediaType(EscalonError, status=415, code="unsupported_media_type"):
    """The body is neither JSON nor a URL-encoded form."""


def _status(code: int, description: str, model: type[Any] = ErrorBody) -> dict[int | str, Any]:
    return {code: {"model": model, "description": description}}


def _delivery_responses(model: type[Any], *more: dict[int | str, Any]) -> dict[int | str, Any]:
    """What an endpoint that delivers a channel's message answers besides 201: 200 for one
    delivered before, then `more`, then the errors."""
    answers = _status(200, "Delivered before: nothing stored again", model)
    for answer in more:
        answers |= answer
    return answers | error_responses(400, 401, 403, 404, 409, 422)


# -- the public contact form -------------------------------------------------------------------


class _FormOrJson(APIRoute):
    """A route that also reads `application/x-www-form-urlencoded` bodies (a plain HTML form),
    as the JSON object of its fields, so they are validated exactly like JSON.

    Empty fields are left out (an empty optional field is absent; an empty required one is
    missing). `multipart/form-data` is refused: the form takes no file uploads.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            media = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media == "application/x-www-form-urlencoded":
                request = await _as_json(request)
            elif media.startswith("multipart/"):
                raise UnsupportedMediaType(
                    "send the form as application/x-www-form-urlencoded or JSON, "
                    "not multipart/form-data"
                )
            return await handler(request)

        return route


async def _as_json(request: Request) -> Request:
    raw = await request.body()
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=50
        )
    except (UnicodeDecodeError, ValueError):
        raise Invalid(
            "the form is not valid UTF-8 application/x-www-form-urlencoded (of 50 fields at most)"
        ) from None
    fields = {name: value for name, value in pairs if value.strip()}  # the last of a repeat
    body = json.dumps(fields).encode()
    scope = dict(request.scope)
    scope["headers"] = [
        (name, value)
        for name, value in request.scope["headers"]
        if name not in (b"content-type", b"content-length")
    ] + [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


_forms = APIRouter(route_class=_FormOrJson)  # joins `router`, which adds /api/v1


@_forms.post(
    "/forms/contact",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ContactAccepted,
    tags=["channels"],
    responses={
        **error_responses(400, 409, 422),
        **_status(415, "Neither JSON nor a URL-encoded form"),
        **_status(429, "Too many posts from this address or for this e-mail (see Retry-After)"),
    },
)
def contact_form(
    body: ContactForm, request: Request, parts: Annotated[Services, Depends(services)]
) -> Response:
    """The public contact form (no token): opens a case with channel `web`.

    Posts are limited per client address and per e-mail address (429 with Retry-After). A
    filled honeypot (`website`) is answered like a success and nothing is stored.
    """
    limits = limits_of(request)
    limits.contact_form(request, body.email)  # 429 over the limit (shared by every process)
    thanks = "Thank you: we received your message and will answer by e-mail."
    if body.website is not None and body.website.strip():
        log.info(
            "contact form from %s filled the honeypot: nothing stored", limits.client_of(request)
        )
        accepted = ContactAccepted(case_id=None, message=thanks)
    else:
        with parts.database.write() as session:
            case_id = webform.receive_contact_form(
                session, form=body, now=parts.clock.now_us(), analyzer=parts.analyzer
            )
        accepted = ContactAccepted(case_id=case_id, message=thanks)
    return Response(
        accepted.model_dump_json(),
        status_code=status.HTTP_202_ACCEPTED,
        media_type="application/json",
    )


router = APIRouter(prefix="/api/v1")


# -- chat --------------------------------------------------------------------------------------


@router.post(
    "/chat/messages",
    status_code=status.HTTP_201_CREATED,
    tags=["channels"],
    response_model=ChatOut,
    responses=_delivery_responses(
        ChatOut,
        _status(
            202, "Not stored: the conversation has no case before the customer writes", ChatOut
        ),
    ),
)
def chat_message(body: ChatMessageIn, response: Response, context: Integration) -> ChatOut:
    """A chat message from the chat widget's backend: the first customer message of a
    conversation opens a case (channel `chat`), later ones join it. A customer asking for a
    person (or `handover: true`) hands the conversation over: the case is tagged `handover`."""
    analyzer = context.services.analyzer
    handover = chat.asks_for_person(body, analyzer)
    delivered = _retrying(
        context,
        lambda session: chat.receive_chat(
            session,
            request=body,
            analyzer=analyzer,
            handover=handover,
            **case_views.by(context),
        ),
    )
    if delivered.duplicate:
        response.status_code = status.HTTP_200_OK
        text = "Already received: stored once."
    elif delivered.case_id is None:
        response.status_code = status.HTTP_202_ACCEPTED
        text = "Not stored: the conversation has no case until the customer writes."
    else:
        text = "Stored."
    if delivered.handover:
        text += " A person will take over this conversation."
    return from_row(ChatOut, delivered, message=text)


def _retrying(context: Context, deliver: Callable[[Any], Delivered]) -> Delivered:
    """Deliver in a write transaction, again when a concurrent delivery raced for the thread
    (the next attempt finds what that one stored)."""
    for _attempt in range(ATTEMPTS):
        try:
            with context.db.write() as session:
                return deliver(session)
        except DeliveryRace as race:
            log.info("concurrent delivery for %s; trying again", race)
    raise Conflict("concurrent deliveries for this thread kept colliding; retry")


# -- phone -------------------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/calls",
    status_code=status.HTTP_201_CREATED,
    tags=["channels"],
    responses=error_responses(400, 401, 403, 404, 409, 412, 422),
)
def log_call(
    case_id: Id, body: CallIn, response: Response, context: Staff, version: IfMatch
) -> MessageOut:
    """Log a phone call with the case's customer: a public agent message (channel `phone`) that
    answers them, or an internal note when nobody answered (`no_answer`)."""
    with context.db.write() as session:
        message_id = phone.log_call(
            session, case_id=case_id, request=body, if_match=version, **case_views.by(context)
        )
        written = queries.get_case(session, case_id, scope=visibility.EVERYTHING)
        response.headers["ETag"] = f'"{written.version}"'
        return queries.get_message(session, message_id)


@router.post(
    "/calls",
    status_code=status.HTTP_201_CREATED,
    response_model=CaseOut,
    tags=["channels"],
    responses=case_views.OPENING_RESPONSES,
)
def open_call(
    body: InboundCallIn,
    context: Staff,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Send the same key when retrying: the case is opened once",
        ),
    ] = None,
) -> Response:
    """Open a case (channel `phone`) from an inbound call; with `outcome` the call is logged
    too, as the agent's first answer."""

    def open_(session: Session) -> Opened:
        opened = phone.open_call(
            session,
            request=body,
            analyzer=context.services.analyzer,
            idempotency_key=idempotency_key,
            **case_views.by(context),
        )
        # A logged call changed the case after its opening: the answer reads it back.
        return opened._replace(row=None)

    return case_views.answer_opening(
        context, open_, request=phone.call_case(body), idempotency_key=idempotency_key
    )


# -- social ------------------------------------------------------------------------------------


@router.post(
    "/social/posts",
    status_code=status.HTTP_201_CREATED,
    tags=["channels"],
    response_model=SocialOut,
    responses=_delivery_responses(SocialOut),
)
def social_post(body: SocialPostIn, response: Response, context: Integration) -> SocialOut:
    """A post, mention or direct message from a social network: joins its thread's case, or
    opens one (channel `social` for public posts, `social_private` for direct messages)."""
    delivered = _retrying(
        context,
        lambda session: social.receive_social(
            session, request=body, analyzer=context.services.analyzer, **case_views.by(context)
        ),
    )
    if delivered.duplicate:
        response.status_code = status.HTTP_200_OK
    assert delivered.case_id is not None  # a post always has a case
    return from_row(SocialOut, delivered)


router.include_router(_forms)
