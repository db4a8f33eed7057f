"""Turning the engine's notify actions into outbox rows, inside the transaction that decided them.

Recipients are resolved now, at firing time, to concrete addresses: each (action, address) pair
becomes one row whose key is derived from the action's firing key, so the same firing can never
enqueue a message twice and receivers can drop a redelivery.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    TemplateNotFound,
)
from sqlalchemy.orm import Session

from escalon.channels.links import status_url, survey_url
from escalon.config import Settings
from escalon.core import recipients, rules
from escalon.core.engine import Action
from escalon.core.state import from_us
from escalon.core.text import one_line
from escalon.notifications import notices
from escalon.people.directory import Directory, Person
from escalon.templating import text_templates

METRIC_LABELS = notices.METRIC_WORDS


@dataclass(frozen=True, slots=True)
class CaseContext:
    """What a message about a case says about it."""

    case_id: int
    subject: str
    customer_ref: str
    customer_name: str | None
    customer_email: str | None
    priority: str
    status: str
    level: str
    team: str
    timezone: tzinfo
    expected_answer_at: int | None
    channel: str | None = None
    assignee: str | None = None
    # The latest Message-ID the customer wrote from, so e-mail to them answers in that thread.
    customer_thread: str | None = None
    # For staff notices: the customer's latest words (shortened) and each running clock's due
    # instant by metric, gathered only for a change that notifies staff.
    customer_words: str | None = None
    dues: Mapping[str, int] = field(default_factory=dict)
    # The customer's own zone, when known; their messages and status page say times in it.
    customer_timezone: tzinfo | None = None

    @property
    def customer_zone(self) -> tzinfo:
        """The zone times shown to the customer are in: theirs, else the SLA calendar's."""
        return self.customer_timezone or self.timezone


@cache
def _templates(folder: str | None) -> Environment:
    # A team's own copies (ESCALON_TEMPLATES_DIR) first, then the ones Escalon ships.
    packaged = PackageLoader("escalon.notifications", "templates")
    loader = ChoiceLoader([FileSystemLoader(folder), packaged]) if folder else packaged
    return text_templates(loader)


def message_key(firing_key: str, recipient: str, address: str) -> str:
    """The idempotency key of one message: stable for a firing and an address."""
    return hashlib.sha256(f"{firing_key}\x1f{recipient}\x1f{address}".encode()).hexdigest()


def new_message_id() -> str:
    """A Message-ID for an e-mail Escalon sends: random (128 bits), so that nobody can name it
    in a reply without having received the mail; stored on its outbox row."""
    return f"<{secrets.token_hex(16)}@escalon.invalid>"


# Notifications that never wait for working hours: something has already gone wrong. Each
# trigger says so in its module of the core's rule registry.
URGENT_TRIGGERS = rules.URGENT_TRIGGERS


def outbox_rows(
    action: Action,
    context: CaseContext,
    directory: Directory,
    *,
    now: int,
    urgent: bool = True,
) -> list[dict[str, Any]]:
    """The outbox rows a `notify` or `notify_customer` action makes (none for other actions).

    Rows carry everything their message says in `payload`; the text is rendered when the
    message is delivered, off the path that fires escalations. A staff e-mail that is not
    `urgent` waits for its recipient's working hours.
    """
    if action.action == "notify":
        subject = notices.staff_subject(
            action, case_id=context.case_id, subject=context.subject, priority=context.priority
        )
        facts = _staff_facts(action, context, CustomerMessages.of(directory.session).public_url)
        rows = []
        reached = action.details.get("reached")
        sent: set[tuple[str, str]] = set()
        for recipient in action.details.get("recipients", ()):
            people = None if reached is None else reached.get(recipient)
            for channel, address, note, person in _addresses(str(recipient), directory, people):
                if channel != "log" and (channel, address) in sent:
                    continue  # two recipient names reaching one person: one message
                sent.add((channel, address))
                row = _row(
                    action,
                    context,
                    now,
                    "notify",
                    "staff.txt",
                    channel,
                    str(recipient),
                    address,
                    subject,
                    note,
                )
                if not urgent and person is not None and not person.at_work(now):
                    row["next_attempt_at"] = person.next_at_work(now)
                    row["payload"]["held_until_working_hours"] = True
                row["payload"]["urgent"] = urgent
                row["payload"].update(facts)
                # Times in the reader's zone: a person's own, else the calendar's (a webhook).
                zone = person.timezone if person is not None else None
                row["payload"]["recipient_timezone"] = zone or getattr(
                    context.timezone, "key", None
                )
                rows.append(row)
        return rows
    if action.action == "notify_customer":
        template = f"customer_{action.details.get('template', 'default')}.txt"
        return [_customer_row(action, context, directory, now, template)]
    return []


@dataclass(frozen=True, slots=True)
class CustomerMessages:
    """Which messages Escalon sends the customer by itself (`ESCALON_CUSTOMER_*` settings).

    The composition root puts the process's in the database's `Session.info`; a session
    without them sends the defaults.
    """

    KEY: ClassVar[str] = "escalon.customer_messages"

    acknowledgement: bool = True
    resolution: bool = True
    follow_up_hours: float = 72.0  # 0: no follow-up
    public_url: str = ""  # where customers reach Escalon's pages; "": messages carry no links

    @classmethod
    def from_settings(cls, settings: Settings) -> CustomerMessages:
        """The `customer_*` settings and the public address."""
        return cls(
            acknowledgement=settings.customer_acknowledgement,
            resolution=settings.customer_resolution_notice,
            follow_up_hours=settings.customer_follow_up_hours,
            public_url=settings.public_url,
        )

    def install(self, info: dict[str, Any]) -> None:
        """Send these for the sessions `info` is copied into."""
        info[self.KEY] = self

    @classmethod
    def of(cls, session: Session) -> CustomerMessages:
        """The messages the session's process sends."""
        return cls.of_info(session.info)

    @classmethod
    def of_info(cls, info: Mapping[str, Any]) -> CustomerMessages:
        """The messages installed in a database's or session's `info` (else the defaults)."""
        found = info.get(cls.KEY)
        return found if isinstance(found, CustomerMessages) else _DEFAULT_MESSAGES


_DEFAULT_MESSAGES = CustomerMessages()


# What Escalon tells the customer by itself, whatever the policy: (template, subject prefix).
LIFECYCLE = {
    "acknowledgement": ("customer_acknowledgement.txt", ""),
    "resolved": ("customer_resolved.txt", "Resolved: "),
    "follow_up": ("customer_follow_up.txt", ""),
}


def lifecycle_rows(
    kind: str,
    context: CaseContext,
    directory: Directory,
    *,
    at: int,
    now: int,
    occurrence: str,
    send_at: int | None = None,
) -> list[dict[str, Any]]:
    """The customer message for a moment of the case's life (`LIFECYCLE`), keyed so that the
    same moment (`occurrence`) never sends twice; `send_at` holds it back (a follow-up)."""
    template, _prefix = LIFECYCLE[kind]
    action = Action(
        at,
        str(context.case_id),
        kind,
        f"case.{kind}",
        "notify_customer",
        f"{context.case_id}|{kind}|{occurrence}",
        None,
        {"template": template.removeprefix("customer_").removesuffix(".txt")},
        context.timezone,
    )
    row = _customer_row(action, context, directory, now, template, kind=kind)
    if send_at is not None:
        row["next_attempt_at"] = send_at
    return [row]


def _customer_row(
    action: Action,
    context: CaseContext,
    directory: Directory,
    now: int,
    template: str,
    kind: str = "notify_customer",
) -> dict[str, Any]:
    """A message to the customer, on their channel: e-mail when they have an address, else the
    webhook named after the case's channel (a chat or social integration), else the log."""
    prefix = LIFECYCLE.get(kind, ("", ""))[1]
    subject = one_line(f"{prefix}[#{context.case_id}] {context.subject or 'Your request'}")
    email = context.customer_email
    note = None
    if email:
        channel, address = "email", email
    elif context.channel and directory.has_webhook(context.channel, for_customers=True):
        channel, address = "webhook", context.channel
    else:
        channel, address = "log", "log"
        note = "the customer has no e-mail address: written to the log"
    row = _row(
        action,
        # Times in a message to the customer are in their zone; staff rows keep the calendar's.
        replace(context, timezone=context.customer_zone),
        now,
        kind,
        template,
        channel,
        f"customer:{context.customer_ref}",
        address,
        subject,
        note,
    )
    payload = row["payload"]
    if context.assignee is not None:
        person = directory.person(context.assignee)
        if person is not None:
            payload["case"]["handler"] = {"name": person.name, "email": person.email}
    customer_envelope(
        payload, context, directory, now=now, survey=kind in ("resolved", "follow_up")
    )
    return row


def customer_envelope(
    payload: dict[str, Any],
    context: CaseContext,
    directory: Directory,
    *,
    now: int,
    survey: bool = False,
) -> None:
    """What every message to the customer carries, whatever its channel: the thread it answers,
    the team's own sender address, and the links to the case's status (and survey) page."""
    if context.customer_thread:
        payload["thread"] = context.customer_thread
    sender = directory.support_address(context.team)
    if sender:
        payload["from"] = sender
    base = CustomerMessages.of(directory.session).public_url
    if base:
        seconds = now / 1_000_000
        links = {"status": status_url(context.case_id, base, now=seconds)}
        if survey:
            links["survey"] = survey_url(context.case_id, base, now=seconds)
        payload["links"] = links


def _addresses(
    recipient: str, directory: Directory, present: list[str] | None = None
) -> list[tuple[str, str, str | None, Person | None]]:
    """(channel, address, note, person) for each place a recipient name reaches.

    `present` are the people the engine found the recipient reaches at the firing instant; a
    team with nobody present is written to in full, so the message still finds someone.
    """
    kind, name = recipients.split(recipient)
    if kind == "webhook":
        if directory.has_webhook(name):
            return [("webhook", name, None, None)]
        return [("log", "log", f"no active webhook named {name!r}: written to the log", None)]
    people: list[Person] = []
    if present and kind in recipients.PEOPLE_KINDS:
        people = [p for p in (directory.person(handle) for handle in present) if p is not None]
        reachable = [person for person in people if person.email]
        if reachable:
            return [("email", str(person.email), None, person) for person in reachable]
    if kind in recipients.PEOPLE_KINDS:
        people = directory.team(name)
        if present is not None and not present:
            reachable = [person for person in people if person.email]
            note = f"nobody in {recipient} is present: sent to every member"
            if reachable:
                return [("email", str(person.email), note, person) for person in reachable]
    elif kind == "person":
        found = directory.person(name)
        people = [found] if found is not None else []
    reachable = [person for person in people if person.email]
    if reachable:
        return [("email", str(person.email), None, person) for person in reachable]
    note = f"nobody in {recipient} has an e-mail address: written to the log"
    return [("log", "log", note, None)]


def _row(
    action: Action,
    context: CaseContext,
    now: int,
    kind: str,
    template: str,
    channel: str,
    recipient: str,
    address: str,
    subject: str,
    note: str | None,
) -> dict[str, Any]:
    key = message_key(action.key, recipient, address)
    payload: dict[str, Any] = {
        "id": key,
        "type": f"escalon.{kind}",
        "at": _iso(action.at, context.timezone),
        "case": case_payload(context),
        "rule": action.rule,
        "trigger": action.trigger,
        "metric": action.metric,
        "recipient": recipient,
        "template": template,
        "details": dict(action.details),
    }
    if note is not None:
        payload["note"] = note
    return pending_row(
        key=key,
        case_id=context.case_id,
        kind=kind,
        channel=channel,
        recipient=recipient,
        address=address,
        subject=subject,
        payload=payload,
        now=now,
    )


def pending_row(
    *,
    key: str,
    case_id: int | None,  # None: a message about no case (the weekly review)
    kind: str,
    channel: str,
    recipient: str,
    address: str,
    subject: str,
    payload: dict[str, Any],
    now: int,
) -> dict[str, Any]:
    """An outbox row waiting to be sent now (an e-mail with its Message-ID chosen)."""
    return {
        "key": key,
        "message_id": new_message_id() if channel == "email" else None,
        "case_id": case_id,
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "address": address,
        "subject": one_line(subject)[:500],
        "body": "",
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def case_payload(context: CaseContext) -> dict[str, Any]:
    """The case as a message's payload describes it."""
    zone = context.timezone
    expected = context.expected_answer_at
    return {
        "id": context.case_id,
        "subject": context.subject,
        "customer": context.customer_ref,
        "customer_name": context.customer_name,
        "priority": context.priority,
        "status": context.status,
        "level": context.level,
        "team": context.team,
        "expected_answer_at": None if expected is None else _iso(expected, zone),
        # The zone's name, so texts say "CET" rather than "+01:00".
        "timezone": getattr(zone, "key", None),
    }


@lru_cache(maxsize=4096)
def _iso(at: int, zone: tzinfo) -> str:
    return from_us(at).astimezone(zone).isoformat()


def _staff_facts(action: Action, context: CaseContext, public_url: str) -> dict[str, Any]:
    """What a staff notice tells beyond the case: its link, the customer's latest words and
    the due instant of the clock that matters."""
    facts: dict[str, Any] = {"customer_words": context.customer_words}
    link = notices.case_link(context.case_id, public_url)
    if link is not None:
        facts["links"] = {"case": link}
    due = notices.due_of(action, context.dues)
    if due is not None:
        facts["due"] = {"metric": due[0], "at": _iso(due[1], context.timezone)}
    return facts


def render_body(payload: dict[str, Any], templates_dir: Path | str | None = None) -> str:
    """The text of a message, from the payload its row was written with; `templates_dir` holds
    a team's own copies of the templates (ESCALON_TEMPLATES_DIR)."""
    environment = _templates(None if templates_dir is None else str(templates_dir))
    try:
        template = environment.get_template(str(payload.get("template") or "customer_default.txt"))
    except TemplateNotFound:
        template = environment.get_template("customer_default.txt")
    case = dict(payload.get("case") or {})
    return template.render(
        case=case,
        handler=case.get("handler"),
        reply=payload.get("reply"),
        links=dict(payload.get("links") or {}),
        articles=list(payload.get("articles") or []),
        rule=payload.get("rule", ""),
        trigger=payload.get("trigger", ""),
        metric_label=METRIC_LABELS.get(str(payload.get("metric")), payload.get("metric") or ""),
        notice=notices.notice_of(payload) if payload.get("type") == "escalon.notify" else None,
        at_local=_readable(payload.get("at"), zone=case.get("timezone")),
        expected=_readable(
            case.get("expected_answer_at"), "%A %d %B %Y, %H:%M %Z", zone=case.get("timezone")
        ),
    )


def _readable(
    value: Any, layout: str = "%Y-%m-%d %H:%M %Z", *, zone: str | None = None
) -> str | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    if zone:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            moment = moment.astimezone(ZoneInfo(zone))
    return moment.strftime(layout) if moment.tzname() not in (None, "") else moment.isoformat()
