"""A case's timeline in words: every audit entry as a sentence, each message with its text, one
entry per act, causes before what they caused."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from escalon.cases.schemas import AttachmentOut, AuditEntryOut, DeliveryOut, MessageOut
from escalon.core import recipients
from escalon.core.state import from_us, to_us
from escalon.core.text import one_line
from escalon.web.policy_text import metric_name, trigger_clause

# The human acts the engine also records as its own entry (rule "manual"): one act, one line.
_ENGINE_ECHO = {"case.escalated": "escalate", "case.routed": "route"}
# Entries that stand for a message, which the timeline shows with its text instead.
_MESSAGE_KINDS = ("customer.message", "agent.message")


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the timeline: when, who, what happened, and a message's text when it is one."""

    at: str
    at_iso: str
    who: str
    what: str
    kind: str  # a CSS hook: customer, reply, note, escalation, sla, approval, system
    body: str | None = None
    channel: str | None = None
    message_id: int | None = None
    delivery: DeliveryOut | None = None  # a reply sent from Escalon: how far it got
    attachments: tuple[AttachmentOut, ...] = ()
    articles: tuple[str, ...] = ()  # the help articles a reply sent, by name
    time_spent_seconds: int | None = None  # what the agent said the message took them

    @property
    def delivery_text(self) -> str:
        """The reply's delivery state in words (empty for any other entry)."""
        return "" if self.delivery is None else delivery_words(self.delivery)


def delivery_words(delivery: DeliveryOut) -> str:
    """Where a reply stands, as the agent reads it: never "sent" before it is."""
    how = "e-mail to" if delivery.channel == "email" else "the webhook"
    if delivery.state == "sent":
        return f"Sent by {how} {delivery.to}."
    if delivery.state == "queued":
        if delivery.reason:
            return f"Queued for {how} {delivery.to}; retrying after: {delivery.reason}"
        return f"Queued for {how} {delivery.to}."
    if delivery.state == "failed":
        return f"Not delivered to {delivery.to}: {delivery.reason or 'gave up'}"
    if delivery.state == "captured":
        return "Captured by the training sandbox: not sent to anyone."
    if delivery.state == "cancelled":
        return f"Cancelled: {delivery.reason or 'not sent'}"
    return f"Not sent: {delivery.reason or 'written to the log only'}"


def when(moment_us: int, zone: tzinfo) -> tuple[str, str]:
    """An instant as the page shows it in `zone`, and its ISO form for <time>."""
    moment = from_us(moment_us).astimezone(zone)
    return f"{moment:%a %d %b %H:%M}", moment.isoformat()


# What each clock flag (`escalon.core.integrity`) means, as the timeline says it.
_SUSPICIOUS = {
    "unanswered": "set to wait for the customer while their message was unanswered",
    "near_breach": "paused after its warning, shortly before it would have breached",
    "repeated_pauses": "paused for the third time",
    "premature": "resolved, and reopened by the customer within a day",
}


def _suspicious(data: Mapping[str, Any]) -> str:
    clock = metric_name(str(data.get("metric", "")))
    said = _SUSPICIOUS.get(str(data.get("reason")), str(data.get("reason")))
    return f"Flagged: the {clock} clock was stopped suspiciously ({said})"


def describe(entry: AuditEntryOut, names: Mapping[str, str] | None = None) -> tuple[str, str]:
    """What an audit entry says in words, and its kind for the page's colours; `names` are
    agents' names by handle, to say who a case went to."""
    data: dict[str, Any] = dict(entry.data or {})
    names = names or {}
    kind = entry.kind
    rule = f" (rule {entry.rule})" if entry.rule and entry.rule != "manual" else ""
    if kind == "case.opened":
        return f"Case opened{_suffix(_details(data, 'case', 'at', 'type', 'customer'))}", "system"
    if kind == "status.changed":
        return f"Status set to {_words(data.get('status', '?'))}", "system"
    if kind == "case.reopened":
        return "Case reopened", "system"
    if kind == "case.updated":
        return f"Changed {_details(data, 'case', 'at', 'type', 'agent')}", "system"
    if kind == "case.root_cause":
        return f"Root cause: {data.get('root_cause')}", "system"
    if kind == "case.policy_migrated":
        return f"Moved to another policy version{_suffix(_details(data, 'case'))}", "system"
    if kind == "case.escalated":
        reason = data.get("reason") or "no reason given"
        return f"Escalated to {data.get('to')}: {reason}", "escalation"
    if kind == "case.routed":
        return f"Handed to team {data.get('team')}: {data.get('reason') or 'no reason'}", (
            "escalation"
        )
    if kind == "case.de-escalated":
        note = data.get("note")
        return f"De-escalated to {data.get('to')}{f': {note}' if note else ''}", "escalation"
    if kind == "escalation.acknowledged":
        return "Acknowledged the escalation", "escalation"
    if kind == "case.assigned":
        to = data.get("to")
        return f"Assigned to {names.get(str(to), to) if to else 'the team queue'}", "system"
    if kind.startswith("approval."):
        return _approval(kind.split(".", 1)[1], data), "approval"
    if kind.startswith("participant."):
        verb = "added to" if kind.endswith("added") else "removed from"
        who = data.get("address") or data.get("participant") or "someone"
        return f"{who} {verb} the conversation", "system"
    if kind == "customer.differs":
        return (
            "Intake named the customer with other details; the stored ones were kept "
            f"({_fields(data, 'kept', 'given')})",
            "system",
        )
    if kind == "customer.updated":
        return f"Customer details changed ({_fields(data, 'from', 'to')})", "system"
    if kind == "survey.answered":
        return f"Customer rated the support {data.get('score')}/5", "system"
    if kind.startswith("sla."):
        return _sla(kind[4:], str(data.get("metric", ""))), "sla"
    if kind.startswith("ola."):
        return _ola(kind[4:], str(data.get("metric", ""))), "sla"
    if kind == "clock.suspicious":
        return _suspicious(data), "sla"
    if kind == "escalate":
        where = f"{data.get('from_level')} → {data.get('to_level')}"
        return f"Escalated {where}{_because(data)}{rule}", "escalation"
    if kind == "route":
        return f"Routed to team {data.get('to_team')}{_because(data)}{rule}", "escalation"
    if kind == "assign":
        return _assign(data, rule, names), "system"
    if kind == "notify":
        return f"Notified {_recipients(data)}{rule}", "system"
    if kind == "notify_customer":
        return f"Told the customer ({_words(data.get('template'))} message){rule}", "system"
    if kind == "set_priority":
        return f"Priority {data.get('from')} → {data.get('to')}{rule}", "system"
    if kind == "tag":
        return f"Tagged {', '.join(str(t) for t in data.get('tags') or [])}{rule}", "system"
    if kind == "skip_level":
        return f"Skipped level {data.get('level')}: nobody present{rule}", "escalation"
    if kind == "engine.error":
        return "The engine could not evaluate this case; an operator was told", "system"
    return f"{_words(kind)}{rule}{_suffix(_details(data, 'trigger'))}", "system"


def _words(value: object) -> str:
    return str(value).replace("_", " ").replace(".", " ")


def _sla(event: str, metric: str) -> str:
    name = metric_name(metric)
    return {
        "breach": f"SLA {name}: breach (the target passed)",
        "warning": f"SLA {name}: warning (the target is near)",
        "met": f"SLA {name}: met",
    }.get(event, f"SLA {name}: {_words(event)}")


def _ola(event: str, metric: str) -> str:
    team = metric.removeprefix("ola:")
    return {
        "breach": f"OLA of team {team}: breach (it did not act within its internal target)",
        "warning": f"OLA of team {team}: warning (its internal target is near)",
    }.get(event, f"OLA of team {team}: {_words(event)}")


def _because(data: dict[str, Any]) -> str:
    """Why the engine acted, as a clause: `: the first response target is breached`."""
    trigger = data.get("trigger")
    if not trigger:
        return ""
    return f": {trigger_clause(trigger, data.get('metric'))}"


def _assign(data: dict[str, Any], rule: str, names: Mapping[str, str]) -> str:
    handle = data.get("assignee")
    who = names.get(str(handle), handle)
    if not who:
        return f"Nobody available to assign; the case waits in the team queue{rule}"
    reason = data.get("reason")
    return f"Assigned to {who}{rule}{f': {reason}' if reason else ''}"


def _details(data: dict[str, Any], *skip: str) -> str:
    shown = [
        f"{key.replace('_', ' ')} {value}"
        for key, value in data.items()
        if key not in skip and value not in (None, "", [], {})
    ]
    return "; ".join(shown)


def _approval(verb: str, data: dict[str, Any]) -> str:
    """An approval entry in words: what, how much, and by which authority."""
    amount = data.get("amount")
    what = (
        f"Approval {verb}: {data.get('kind')} {amount:g}"
        if isinstance(amount, int | float)
        else f"Approval {verb}"
    )
    held, basis = data.get("authority"), data.get("basis")
    if basis is None:
        return what
    shown = f"{held:g}" if isinstance(held, int | float) else str(held)
    return f"{what} (authority {shown}, {basis})"


def _fields(data: dict[str, Any], first: str, second: str) -> str:
    """Customer fields in words: `email from a@x to b@y`, or `email kept a@x, given b@y`."""
    joiner = " " if first == "from" else ", "
    return "; ".join(
        f"{name} {first} {value.get(first) or '—'}{joiner}{second} {value.get(second) or '—'}"
        for name, value in data.items()
        if isinstance(value, dict)
    )


def _recipients(data: dict[str, Any]) -> str:
    """Who a notification was for, and the people it reached when the engine knew them."""
    named_in = data.get("recipients") or []
    reached = data.get("reached")
    named = []
    for recipient in named_in:
        shown = recipients.short(str(recipient))
        people = reached.get(recipient) if isinstance(reached, dict) else None
        if people is None or people == [shown]:
            named.append(shown)
        else:
            named.append(f"{shown} ({', '.join(map(str, people)) or 'nobody present'})")
    return ", ".join(named) or "nobody"


def _suffix(text: str) -> str:
    return f" ({text})" if text else ""


def _echoes(audit: Iterable[AuditEntryOut]) -> set[int]:
    """The engine's entries that repeat a person's act recorded at the same instant."""
    acts = {(to_us(entry.at), entry.kind) for entry in audit if entry.kind in _ENGINE_ECHO}
    return {
        entry.id
        for entry in audit
        if entry.rule == "manual"
        and (entry.data or {}).get("trigger") in _ENGINE_ECHO
        and _ENGINE_ECHO[str((entry.data or {}).get("trigger"))] == entry.kind
        and (to_us(entry.at), (entry.data or {}).get("trigger")) in acts
    }


def _folded(audit: Iterable[AuditEntryOut]) -> tuple[set[int], dict[int, str]]:
    """Acts written as two entries, read as one: a resolution with its root cause.

    Returns the entries to leave out and the new words of the entries that say both.
    """
    entries = list(audit)
    causes = {
        (entry.at, entry.actor): (entry.id, (entry.data or {}).get("root_cause"))
        for entry in entries
        if entry.kind == "case.root_cause"
    }
    skipped: set[int] = set()
    words: dict[int, str] = {}
    for entry in entries:
        found = causes.get((entry.at, entry.actor)) if entry.kind == "status.changed" else None
        if found is None:
            continue
        cause_id, cause = found
        status = _words((entry.data or {}).get("status", "?"))
        said = "Resolved" if status == "resolved" else f"Status set to {status}"
        words[entry.id] = f"{said}, root cause: {cause}"
        skipped.add(cause_id)
    return skipped, words


def _places(audit: list[AuditEntryOut]) -> dict[int, tuple[int, int, int]]:
    """Each entry's place at its instant: (anchor id, 0 for a cause or 1 for an effect, id).

    An entry the engine wrote because of an SLA event follows that event, whatever order they
    were written in: the event's key is `case|cycle` and its effects' keys are
    `case|rule|trigger|cycle|...`.
    """
    causes = {}
    for entry in audit:
        if entry.key and entry.kind.startswith(("sla.", "ola.")):
            case, _, cycle = entry.key.partition("|")
            causes[(case, cycle)] = entry.id
    places = {}
    for entry in audit:
        parts = (entry.key or "").split("|")
        cause = None
        if len(parts) >= 4 and not entry.kind.startswith(("sla.", "ola.")):
            cause = causes.get((parts[0], parts[3]))
        places[entry.id] = (entry.id, 0, entry.id) if cause is None else (cause, 1, entry.id)
    return places


def assignees(audit: Iterable[AuditEntryOut]) -> set[str]:
    """The handles the entries assign cases to, to look their names up."""
    found = set()
    for entry in audit:
        data = entry.data or {}
        handle = data.get("assignee") if entry.kind == "assign" else None
        if entry.kind == "case.assigned":
            handle = data.get("to")
        if isinstance(handle, str) and handle:
            found.add(handle)
    return found


def timeline(
    messages: list[MessageOut],
    audit: list[AuditEntryOut],
    zone: tzinfo,
    customer: str,
    names: Mapping[str, str] | None = None,
) -> list[Entry]:
    """Messages with their text, and every other audit entry in words; the newest first.

    A message takes the place of the audit entry its arrival wrote (or, for the case's first
    message, just after the opening), so the order is the order things were recorded in; at
    one instant a cause comes before what it caused.
    """
    folded, words = _folded(audit)
    echoes = _echoes(audit) | folded
    places = _places(audit)
    anchors: dict[tuple[int, str], list[int]] = {}
    lines: list[tuple[int, tuple[float, int, int], Entry]] = []
    for entry_out in audit:
        at_us = to_us(entry_out.at)
        if entry_out.kind in (*_MESSAGE_KINDS, "case.opened"):
            anchors.setdefault((at_us, entry_out.kind), []).append(entry_out.id)
            if entry_out.kind != "case.opened":
                continue  # the message itself is on the timeline, with its text
        if entry_out.id in echoes:
            continue
        at, iso = when(at_us, zone)
        what, css = describe(entry_out, names)
        what = words.get(entry_out.id, what)
        lines.append((at_us, places[entry_out.id], Entry(at, iso, entry_out.actor, what, css)))
    for message in messages:
        kinds: tuple[str, ...]
        at_us = to_us(message.at)
        at, iso = when(at_us, zone)
        if message.author_kind == "customer":
            what, css = "Customer wrote", "customer"
            kinds = ("customer.message", "case.opened")
        elif message.public:
            what, css = "Replied to the customer", "reply"
            kinds = ("agent.message",)
        else:
            what, css = message.subject or "Internal note", "note"
            kinds = ("agent.message",)
        order: float = float("inf")
        for kind in kinds:
            found = anchors.get((at_us, kind))
            if found:
                order = found.pop(0) + (0.5 if kind == "case.opened" else 0)
                break
        subject = f": {one_line(message.subject)}" if message.subject and message.public else ""
        # A participant of the case (not its customer) is named by their own address.
        participant = bool((message.details or {}).get("participant"))
        who = customer if message.author_kind == "customer" and not participant else message.author
        entry = Entry(
            at,
            iso,
            who,
            what + subject,
            css,
            message.body,
            message.channel,
            message.id,
            message.delivery,
            tuple(message.attachments),
            tuple(str(name) for name in (message.details or {}).get("articles") or ()),
            message.time_spent_seconds,
        )
        lines.append((at_us, (order, 0, 0), entry))
    lines.sort(key=lambda line: (line[0], line[1]), reverse=True)
    return [entry for _at, _place, entry in lines]


def what_it_did(
    done: str | None, entries: list[AuditEntryOut], names: Mapping[str, str] | None = None
) -> str | None:
    """What an action did, from the audit entries it wrote: the act, then what the engine
    decided because of it (`Escalated to specialists: ... Then: Assigned to omar; Notified team
    specialists (omar).`). `done` says it for acts whose entry is a message (a reply, a note).
    """
    folded, words = _folded(entries)
    echoes = _echoes(entries) | folded
    said = [
        words.get(entry.id) or describe(entry, names)[0]
        for entry in entries
        if entry.id not in echoes and entry.kind not in _MESSAGE_KINDS
    ]
    if done is not None and any(entry.kind in _MESSAGE_KINDS for entry in entries):
        said.insert(0, done.rstrip("."))
    if not said:
        return done
    first, rest = said[0], said[1:]
    then = f" Then: {'; '.join(rest)}." if rest else ""
    return f"{first}.{then}"
