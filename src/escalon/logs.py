"""Logging for the service and the worker: one line per record, to stderr, nothing secret in it.

Every handler Escalon configures (its own, and uvicorn's in every server process) passes records
through `SafeRecords`, which makes each record one line whatever it quotes: control characters
are escaped (a customer's "\\n2026-12-06 INFO escalon.api: admin signed in" stays inside its
record, visibly), a traceback's lines are indented under the record, and API tokens, customers'
status and survey links, session cookies and bearer credentials are replaced by `[redacted]`.
Code should still not log what it does not need; this is the net under it. See
docs/operations.md ("Logs").
"""

from __future__ import annotations

import logging
import logging.config
import re
import traceback
from typing import IO, Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
# A record's message longer than this is cut: logs are not where customers' letters are kept.
MAX_MESSAGE = 4000
# Their INFO lines are every statement or request; aiosmtpd's ("mail.log") every SMTP command
# with the senders' and recipients' addresses.
QUIET = ("sqlalchemy", "httpx", "alembic", "mail.log")

# Secrets a message may quote by accident: each is kept recognisable, its value is not.
_SECRETS = (
    (re.compile(r"\besc_[A-Za-z0-9_-]{8,}"), "esc_[redacted]"),
    (re.compile(r"(/(?:status|survey)/)[^\s\"'<>?#/]+"), r"\1[redacted]"),
    (re.compile(r"(escalon_[a-z_]*=)[^\s;,\"']+", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"(\bBearer\s+)[^\s\"',;]+", re.IGNORECASE), r"\1[redacted]"),
)
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: anything a terminal or
# a log viewer might take for the start of a new line, or use to hide text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (
        f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    )


def clean(text: str) -> str:
    """One line of log text: secrets redacted, control characters escaped."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return _CONTROL.sub(_escape_one, text)


def _indented(block: str) -> str:
    # A traceback keeps its lines (people read it), each indented under its record and cleaned:
    # no line of it starts where a record's timestamp would.
    return "\n".join("    | " + clean(line) for line in block.rstrip("\n").split("\n"))


class SafeRecords(logging.Filter):
    """Makes every record safe to write before any handler formats it (see the module)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message, traceback and stack in place; never drops one."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is logged as written, not lost
            message = f"{record.msg!r} % {record.args!r}"
        if len(message) > MAX_MESSAGE:
            message = f"{message[:MAX_MESSAGE]}... ({len(message) - MAX_MESSAGE} more characters)"
        record.msg = clean(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info))
        if record.exc_text and not record.exc_text.startswith("    | "):
            record.exc_text = _indented(record.exc_text)
        if record.stack_info and not record.stack_info.startswith("    | "):
            record.stack_info = _indented(record.stack_info)
        return True


def config(level: str = "INFO", stream: IO[str] | None = None) -> dict[str, Any]:
    """The logging configuration (for `logging.config.dictConfig` and uvicorn's `log_config`).

    One handler on the root logger; uvicorn's loggers hand their records to it (so its error
    log is cleaned like Escalon's own), and its access log, which would hold every URL with its
    tokens, is off.
    """
    level = level.upper()
    handler: dict[str, Any] = {
        "class": "logging.StreamHandler",
        "formatter": "line",
        "filters": ["safe"],
        "stream": stream if stream is not None else "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"safe": {"()": SafeRecords}},
        "formatters": {"line": {"format": FORMAT, "datefmt": DATE_FORMAT}},
        "handlers": {"stderr": handler},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
            **{name: {"level": "WARNING"} for name in QUIET},
        },
    }


def configure(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Send Escalon's log records to stderr (or `stream`) at `level`, through `SafeRecords`."""
    logging.config.dictConfig(config(level, stream))
    install()


def install() -> None:
    """Put `SafeRecords` on every handler configured so far (one added twice is added once)."""
    loggers = [
        logging.getLogger(),
        *(
            logger
            for logger in logging.Logger.manager.loggerDict.values()
            if isinstance(logger, logging.Logger)
        ),
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(existing, SafeRecords) for existing in handler.filters):
                handler.addFilter(SafeRecords())
    last = logging.lastResort  # what Python writes with when nothing is configured
    if last is not None and not any(isinstance(f, SafeRecords) for f in last.filters):
        last.addFilter(SafeRecords())
