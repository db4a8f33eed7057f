"""Turning the engine's notify actions into outbox rows, inside the transaction that decided them.

Recipients are resolved now, at firing time, to concrete addresses: each (action, address) pair
becomes one row whose key is derived from the action's firing key, so the same firing can never
enqueue a message twice and receivers can drop a redelivery.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cache, lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound

from escalon.core.engine import Action
from escalon.core.state import from_us
from escalon.people.directory import Directory, Person

METRIC_LABELS = {
    "first_response": "first response",
    "next_response": "next response",
    "periodic_update": "periodic update",
    "resolution": "resolution",
}


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


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("escalon.notifications", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # plain-text messages
        keep_trailing_newline=True,
        auto_reload=False,
    )


def message_key(firing_key: str, recipient: str, address: str) -> str:
    """The idempotency key of one message: stable for a firing and an address."""
    return hashlib.sha256(f"{firing_key}\x1f{recipient}\x1f{address}".encode()).hexdigest()


def outbox_rows(
    action: Action, context: CaseContext, directory: Directory, *, now: int
) -> list[dict[str, Any]]:
    """The outbox rows a `notify` or `notify_customer` action makes (none for other actions).

    Rows carry everything their message says in `payload`; the text is rendered when the
    message is delivered, off the path that fires escalations.
    """
    if action.action == "notify":
        subject = _staff_subject(action, context)
        rows = []
        reached = action.details.get("reached")
        sent: set[tuple[str, str]] = set()
        for recipient in action.details.get("recipients", ()):
            people = None if reached is None else reached.get(recipient)
            for channel, address, note in _addresses(str(recipient), directory, people):
                if channel != "log" and (channel, address) in sent:
                    continue  # two recipient names reaching one person: one message
                sent.add((channel, address))
                rows.append(
                    _row(
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
                )
        return rows
    if action.action == "notify_customer":
        template = f"customer_{action.details.get('template', 'default')}.txt"
        subject = f"[#{context.case_id}] {context.subject or 'Your request'}"
        email = context.customer_email
        channel, address = ("email", email) if email else ("log", "log")
        note = None if email else "the customer has no e-mail address: written to the log"
        recipient = f"customer:{context.customer_ref}"
        return [
            _row(
                action,
                context,
                now,
                "notify_customer",
                template,
                channel,
                recipient,
                address,
                subject,
                note,
            )
        ]
    return []


def _addresses(
    recipient: str, directory: Directory, present: list[str] | None = None
) -> list[tuple[str, str, str | None]]:
    """(channel, address, note) for each place a recipient name reaches.

    `present` are the people the engine found the recipient reaches at the firing instant; a
    team with nobody present is written to in full, so the message still finds someone.
    """
    kind, _, name = recipient.partition(":")
    if kind == "webhook":
        if directory.has_webhook(name):
            return [("webhook", name, None)]
        return [("log", "log", f"no active webhook named {name!r}: written to the log")]
    people: list[Person] = []
    if present and kind in ("team", "on_call"):
        people = [p for p in (directory.person(handle) for handle in present) if p is not None]
        reachable = [person for person in people if person.email]
        if reachable:
            return [("email", str(person.email), None) for person in reachable]
    if kind in ("team", "on_call"):
        people = directory.team(name)
        if present is not None and not present:
            reachable = [person for person in people if person.email]
            note = f"nobody in {recipient} is present: sent to every member"
            if reachable:
                return [("email", str(person.email), note) for person in reachable]
    elif kind == "person":
        found = directory.person(name)
        people = [found] if found is not None else []
    reachable = [person for person in people if person.email]
    if reachable:
        return [("email", str(person.email), None) for person in reachable]
    return [("log", "log", f"nobody in {recipient} has an e-mail address: written to the log")]


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
    zone = context.timezone
    expected = context.expected_answer_at
    payload: dict[str, Any] = {
        "id": key,
        "type": f"escalon.{kind}",
        "at": _iso(action.at, zone),
        "case": {
            "id": context.case_id,
            "subject": context.subject,
            "customer": context.customer_ref,
            "customer_name": context.customer_name,
            "priority": context.priority,
            "status": context.status,
            "level": context.level,
            "team": context.team,
            "expected_answer_at": None if expected is None else _iso(expected, zone),
        },
        "rule": action.rule,
        "trigger": action.trigger,
        "metric": action.metric,
        "recipient": recipient,
        "template": template,
        "details": dict(action.details),
    }
    if note is not None:
        payload["note"] = note
    return {
        "key": key,
        "case_id": context.case_id,
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "address": address,
        "subject": subject,
        "body": "",
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


@lru_cache(maxsize=4096)
def _iso(at: int, zone: tzinfo) -> str:
    return from_us(at).astimezone(zone).isoformat()


def _staff_subject(action: Action, context: CaseContext) -> str:
    label = METRIC_LABELS.get(action.metric or "", action.metric or "")
    if action.trigger == "sla.breach":
        what = f"{label} breached"
    elif action.trigger == "sla.warning":
        what = f"{label} at risk"
    else:
        what = action.rule
    return f"[Escalon] #{context.case_id} {what}: {context.subject or '(no subject)'}"


def render_body(payload: dict[str, Any]) -> str:
    """The text of a message, from the payload its row was written with."""
    environment = _templates()
    try:
        template = environment.get_template(str(payload.get("template") or "customer_default.txt"))
    except TemplateNotFound:
        template = environment.get_template("customer_default.txt")
    case = dict(payload.get("case") or {})
    return template.render(
        case=case,
        rule=payload.get("rule", ""),
        trigger=payload.get("trigger", ""),
        metric_label=METRIC_LABELS.get(str(payload.get("metric")), payload.get("metric") or ""),
        at_local=_readable(payload.get("at")),
        expected=_readable(case.get("expected_answer_at"), "%A %d %B %Y, %H:%M %Z"),
    )


def _readable(value: Any, layout: str = "%Y-%m-%d %H:%M %Z") -> str | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment.strftime(layout) if moment.tzname() not in (None, "") else moment.isoformat()
