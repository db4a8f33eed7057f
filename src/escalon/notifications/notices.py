"""What a staff notice says: the case link, the reason in words, the customer's latest words
(shortened), the priority and the due instant in the recipient's time zone.

Facts are gathered when the outbox row is written (in the transaction that decided the notice)
and kept in its payload; the words are put together when the notice is delivered, by the e-mail
template and by the chat formats (`chat_formats`), from the same `StaffNotice`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import BigInteger, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from escalon.cases.models import Message
from escalon.core import recipients, rules
from escalon.core.engine import Action
from escalon.core.policy import Policy
from escalon.core.rules import words
from escalon.core.sla import is_running, reach
from escalon.core.staffing import Staffing
from escalon.core.state import CaseState
from escalon.core.text import one_line

# How much of the customer's latest message a notice carries: enough to know what it is about,
# never the whole mail (a notice to a chat webhook leaves the installation).
WORDS_LIMIT = 300
# What the database hands back of a message to shorten from: a 1 MB mail is not read whole.
_WORDS_READ = 4 * WORDS_LIMIT
DASHBOARD_CASE_PATH = "/ui/cases/{case_id}"
# The clocks' names as staff read them.
METRIC_WORDS = words.METRIC_WORDS
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n")
_QUOTED = re.compile(r"^\s*>")


def case_link(case_id: int, base: str) -> str | None:
    """The dashboard's page of the case under the public base URL (None without one)."""
    if not base:
        return None
    return base.rstrip("/") + DASHBOARD_CASE_PATH.format(case_id=case_id)


def shorten(text: str | None, limit: int = WORDS_LIMIT) -> str | None:
    """The first paragraph of a message that is not a quotation, on one line, cut at a word
    before `limit` characters with an ellipsis (None when nothing is left)."""
    if not text:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for paragraph in _PARAGRAPH.split(text):
        lines = [line for line in paragraph.split("\n") if not _QUOTED.match(line)]
        found = one_line(" ".join(lines))
        if found:
            break
    else:
        return None
    if len(found) <= limit:
        return found
    cut = found[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def latest_customer_words(session: Session, case_ids: Collection[int]) -> dict[int, str]:
    """The customer's latest message on each case (that has one), shortened: one statement for
    every case of the transaction, reading no more than the start of each message."""
    if not case_ids:
        return {}
    latest = (
        select(func.max(Message.id))
        .where(_one_of(session, Message.case_id, case_ids), Message.author_kind == "customer")
        .group_by(Message.case_id)
    )
    rows = session.execute(
        select(Message.case_id, func.substr(Message.body, 1, _WORDS_READ)).where(
            Message.id.in_(latest)
        )
    ).all()
    found = {}
    for case_id, body in rows:
        words = shorten(body)
        if words:
            found[int(case_id)] = words
    return found


def _one_of(session: Session, column: Any, values: Collection[int]) -> Any:
    """`column IN values`; on PostgreSQL `= ANY(array)`, one parameter however many values
    (a worker's batch of thousands of cases binds seven times faster)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", list(values), type_=ARRAY(BigInteger)))
    return column.in_(values)


def words_written_now(messages: Sequence[Mapping[str, Any]]) -> str | None:
    """The customer's latest words among messages not written yet (this very change)."""
    for message in reversed(messages):
        if message.get("author_kind") == "customer":
            return shorten(str(message.get("body") or "")[:_WORDS_READ])
    return None


def clock_dues(policy: Policy, state: CaseState) -> dict[str, int]:
    """The due instant of each running clock with a target, by metric."""
    if state.sla is None:
        return {}
    targets = policy.slas[state.sla].targets
    dues = {}
    for metric, cycle in state.clocks.items():
        target = targets.get(metric)
        if target is None or not is_running(state, cycle):
            continue
        due = reach(policy, state, cycle.started_at, target)
        if due is not None:
            dues[metric] = due
    return dues


def due_of(action: Action, dues: Mapping[str, int]) -> tuple[str, int] | None:
    """The clock that matters for a notice: the one its trigger is about, else the one that
    falls due first."""
    if action.metric and action.metric in dues:
        return action.metric, dues[action.metric]
    if not dues:
        return None
    metric = min(dues, key=lambda name: dues[name])
    return metric, dues[metric]


def what_happened(
    trigger: str | None, metric: str | None, rule: str | None, details: Mapping[str, Any]
) -> str:
    """A notice's event in a few words, for its subject and headline."""
    if trigger == "case.escalated":
        return f"escalated to {details.get('to_level')} by {details.get('agent')}"
    if trigger == "case.routed":
        return f"sent to team {details.get('to_team')} by {details.get('agent')}"
    known = rules.TRIGGERS.get(str(trigger))
    if known is not None and known.headline:
        return known.headline.format(metric=METRIC_WORDS.get(str(metric), str(metric or "target")))
    return str(rule)


def staff_subject(action: Action, *, case_id: int, subject: str, priority: str) -> str:
    """`#12 first response breached - Printer on fire (P1)`."""
    title = one_line(subject)[:150] or "(no subject)"
    what = what_happened(action.trigger, action.metric, action.rule, action.details)
    return one_line(f"#{case_id} {what} - {title} ({priority})")


def reason(payload: Mapping[str, Any]) -> str:
    """Why the notice was sent, in a sentence: the rule and what set it off, or who escalated
    and why."""
    trigger = payload.get("trigger")
    rule = payload.get("rule")
    details = payload.get("details") or {}
    label = METRIC_WORDS.get(str(payload.get("metric")), str(payload.get("metric") or "its"))
    if trigger in ("case.escalated", "case.routed"):
        moved = (
            f"escalated the case to level {details.get('to_level')}"
            if trigger == "case.escalated"
            else f"sent the case to team {details.get('to_team')}"
        )
        why = one_line(str(details.get("reason") or "")).rstrip(".")
        return f"{details.get('agent')} {moved}: {why or 'no reason given'}."
    known = rules.TRIGGERS.get(str(trigger))
    cause = known.cause.format(metric=label) if known is not None and known.cause else f"{trigger}"
    return f'Rule "{rule}": {cause}.'


def manual_notice(action: Action, team: str, staffing: Staffing | None) -> Action:
    """The notice a person's escalation (or routing) sends the team that now has the case,
    naming who moved it and why."""
    notice = recipients.notice_details([f"team:{team}"], staffing, action.at)
    details: dict[str, Any] = {
        "recipients": notice.pop("recipients"),
        **{name: action.details.get(name) for name in ("agent", "reason")},
        **{
            name: action.details[name]
            for name in ("to_level", "to_team", "from_level", "from_team")
            if name in action.details
        },
        **notice,  # whom it reached, after the move, as the engine's own notices have it
    }
    return Action(
        action.at,
        action.case,
        action.rule,
        action.trigger,
        "notify",
        f"{action.key}|notify",
        action.metric,
        details,
        action.timezone,
    )


@dataclass(frozen=True, slots=True)
class StaffNotice:
    """A staff notice's content, ready for any format: each field plain text."""

    case_id: int
    headline: str
    case_subject: str
    customer: str
    reason: str
    priority: str
    level: str
    team: str
    link: str | None
    words: str | None
    due: str | None  # "Mon 01 Dec 2026, 11:00 CET (first response)", in the reader's zone
    at: str
    timezone: str


def notice_of(payload: Mapping[str, Any]) -> StaffNotice:
    """The content of a staff notice from the payload its row was written with."""
    case = payload.get("case") or {}
    zone_name = str(payload.get("recipient_timezone") or case.get("timezone") or "UTC")
    due = payload.get("due") or {}
    due_text = None
    if due.get("at"):
        metric = METRIC_WORDS.get(str(due.get("metric")), str(due.get("metric") or ""))
        due_text = f"{_local(due['at'], zone_name)} ({metric})"
    customer = case.get("customer_name") or case.get("customer") or ""
    what = what_happened(
        payload.get("trigger"),
        payload.get("metric"),
        payload.get("rule"),
        payload.get("details") or {},
    )
    at = payload.get("at")
    return StaffNotice(
        case_id=int(case.get("id") or 0),
        headline=one_line(f"#{case.get('id')} {what}"),
        case_subject=one_line(str(case.get("subject") or "")) or "(no subject)",
        customer=one_line(str(customer)),
        reason=reason(payload),
        priority=str(case.get("priority") or ""),
        level=str(case.get("level") or ""),
        team=str(case.get("team") or ""),
        link=(payload.get("links") or {}).get("case"),
        words=payload.get("customer_words"),
        due=due_text,
        at=_local(str(at), zone_name) if at else "",
        timezone=zone_name,
    )


def _local(value: str, zone_name: str) -> str:
    """An ISO instant as the reader reads it: in their zone, with the zone's abbreviation."""
    moment = datetime.fromisoformat(str(value))
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
        moment = moment.astimezone(ZoneInfo(zone_name))
    return moment.strftime("%a %d %b %Y, %H:%M %Z").strip()
