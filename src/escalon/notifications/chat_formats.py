"""Messages for chat tools' incoming webhooks: Slack's Block Kit and a Microsoft Teams
Workflows webhook's Adaptive Card.

Everything a customer or an agent wrote is untrusted here: in Slack it is escaped (`&`, `<`,
`>`, so `<!channel>` or `<@U123>` stays text) and marked verbatim (no automatic links or
mentions); in Teams it goes into TextRuns, which show text as it is (no Markdown). Lengths are
cut to what each format accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from escalon.core.text import one_line
from escalon.notifications.notices import StaffNotice, notice_of

CHAT_FORMATS = ("slack", "teams")
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
# Slack's limits: header text 150, section text 3,000, field 2,000, button label 75.
_HEADER, _SECTION, _FIELD, _BUTTON = 150, 3000, 2000, 75
# What the notice-less (customer) message may carry of its text in a chat message.
_TEXT = 3000


def chat_message(
    chat_format: str, *, subject: str, payload: Mapping[str, Any], text: str
) -> dict[str, Any]:
    """The JSON document a chat webhook of `chat_format` receives for one outbox message:
    the staff notice's layout for a staff notice, else `subject` and `text` as they are."""
    notice = notice_of(payload) if payload.get("type") == "escalon.notify" else None
    if chat_format == "teams":
        return teams_notice(notice) if notice else teams_text(subject, text)
    return slack_notice(notice) if notice else slack_text(subject, text)


def slack_escape(text: str) -> str:
    """Text that Slack shows as written: its three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _web_link(link: str | None) -> str | None:
    """The link if it is an http(s) URL a chat tool may open (None otherwise)."""
    if link and urlsplit(link).scheme in ("http", "https"):
        return link
    return None


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack turns no URL, channel or user name inside into a link or a mention.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain_text(notice: StaffNotice) -> str:
    """The notice as plain text, for the chat tool's notification and for readers of text."""
    lines = [f"{notice.headline}: {notice.case_subject}", notice.reason]
    lines.append(f"Priority {notice.priority}, level {notice.level}, team {notice.team}")
    if notice.due:
        lines.append(f"Due {notice.due}")
    if notice.words:
        lines.append(f'Customer: "{notice.words}"')
    if notice.link:
        lines.append(notice.link)
    return "\n".join(lines)


def slack_notice(notice: StaffNotice) -> dict[str, Any]:
    """A staff notice in Block Kit: header, reason with fields, the customer's words, context
    and a button to the case; `text` is the plain fallback."""
    fields = [
        ("Priority", notice.priority),
        ("Due", notice.due or "no clock running"),
        ("Level", notice.level),
        ("Team", notice.team),
        ("Customer", notice.customer),
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                # Slack reads its three control characters as entities in plain text too.
                "text": _cut(slack_escape(f"{notice.headline}: {notice.case_subject}"), _HEADER),
                "emoji": False,
            },
        },
        {
            "type": "section",
            "text": _mrkdwn(_cut(slack_escape(notice.reason), _SECTION)),
            "fields": [
                _mrkdwn(_cut(f"*{name}*\n{slack_escape(value)}", _FIELD)) for name, value in fields
            ],
        },
    ]
    if notice.words:
        quoted = _cut(slack_escape(notice.words), _SECTION - 40)
        blocks.append(
            {"type": "section", "text": _mrkdwn(f"*The customer's latest message*\n>{quoted}")}
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                _mrkdwn(f"Case #{notice.case_id} · {notice.at} · times in {notice.timezone}")
            ],
        }
    )
    link = _web_link(notice.link)
    if link is not None:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {
                            "type": "plain_text",
                            "text": _cut(f"Open case #{notice.case_id}", _BUTTON),
                        },
                        "url": link,
                        "action_id": "open_case",
                    }
                ],
            }
        )
    return {
        "text": _cut(slack_escape(plain_text(notice)), _SECTION),
        "blocks": blocks,
        # Slack fetches no preview of a link a customer wrote.
        "unfurl_links": False,
        "unfurl_media": False,
    }


def slack_text(subject: str, text: str) -> dict[str, Any]:
    """A message that is not a staff notice, as escaped text under its subject in bold."""
    body = slack_escape(_cut(text.strip(), _TEXT))
    return {
        "text": f"*{slack_escape(one_line(subject))}*\n{body}".rstrip(),
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _run(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextRun", "text": text, **style}


def _paragraph(*runs: dict[str, Any], subtle: bool = False) -> dict[str, Any]:
    # A RichTextBlock's TextRuns are shown as written: no Markdown, so no injected links.
    block: dict[str, Any] = {"type": "RichTextBlock", "inlines": list(runs)}
    if subtle:
        block["separator"] = True
    return block


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": content}],
    }


def teams_notice(notice: StaffNotice) -> dict[str, Any]:
    """A staff notice as a Teams Workflows message carrying an Adaptive Card."""
    facts = [
        ("Priority", notice.priority),
        ("Due", notice.due or "no clock running"),
        ("Level", notice.level),
        ("Team", notice.team),
    ]
    body: list[dict[str, Any]] = [
        _paragraph(
            _run(f"{notice.headline}: {notice.case_subject}", weight="Bolder", size="Medium")
        ),
        _paragraph(_run(notice.reason)),
        # FactSet values read Markdown: only the policy's names and Escalon's own words go
        # there; what people wrote stays in TextRuns.
        {"type": "FactSet", "facts": [{"title": name, "value": value} for name, value in facts]},
        _paragraph(_run("Customer: ", weight="Bolder"), _run(notice.customer)),
    ]
    if notice.words:
        body.append(
            _paragraph(
                _run("The customer's latest message: ", weight="Bolder"),
                _run(notice.words, italic=True),
                subtle=True,
            )
        )
    body.append(
        _paragraph(
            _run(
                f"Case #{notice.case_id} · {notice.at} · times in {notice.timezone}", isSubtle=True
            )
        )
    )
    link = _web_link(notice.link)
    actions = (
        [{"type": "Action.OpenUrl", "title": f"Open case #{notice.case_id}", "url": link}]
        if link
        else []
    )
    return _card(body, actions)


def teams_text(subject: str, text: str) -> dict[str, Any]:
    """A message that is not a staff notice, as a card with its subject and text."""
    return _card(
        [
            _paragraph(_run(one_line(subject), weight="Bolder")),
            _paragraph(_run(_cut(text.strip(), _TEXT))),
        ],
        [],
    )
