"""Settings from environment variables (prefix `ESCALON_`), typed and checked at start-up."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///escalon.db"


class Settings(BaseSettings):
    """Everything an operator may set; each field is read from `ESCALON_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="ESCALON_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: a SQLite file by default, postgresql+psycopg://... to scale out",
    )
    triage_model: str | None = Field(
        None,
        description="A model trained with `escalon triage train`; the default detector if unset",
    )
    category_model: str | None = Field(
        None,
        description="A category model from `escalon triage train --label category`: at intake, "
        "a case no keyword categorises gets the model's category when it is sure enough",
    )
    category_min_confidence: float = Field(
        0.6, ge=0, le=1, description="The probability the category model's guess needs"
    )
    root_cause_model: str | None = Field(
        None,
        description="A root-cause model from `escalon triage train --label root_cause`: the "
        "case page suggests its cause when an escalated case is resolved",
    )
    root_cause_min_confidence: float = Field(
        0.4, ge=0, le=1, description="The probability a root-cause suggestion needs to be shown"
    )
    # The staffing forecast: a team's time per case until enough of its cases have time recorded.
    staffing_handle_seconds: float = Field(
        900.0, gt=0, le=86_400, description="Assumed time an agent spends on a case"
    )
    # The worker: how many due cases one transaction claims, and how long it sleeps at most.
    worker_batch: int = Field(500, ge=1, le=100_000)
    worker_poll_seconds: float = Field(1.0, gt=0, le=60)
    # Outbox delivery.
    outbox_batch: int = Field(100, ge=1, le=10_000)
    outbox_poll_seconds: float = Field(1.0, gt=0, le=60)
    outbox_max_attempts: int = Field(8, ge=1, le=100)
    outbox_lease_seconds: float = Field(60.0, gt=0)
    outbox_backoff_seconds: float = Field(5.0, gt=0, description="first retry delay; doubles")
    outbox_backoff_max_seconds: float = Field(3600.0, gt=0)
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    # E-mail: without a host, e-mails are written to the log instead of sent.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout_seconds: float = Field(10.0, gt=0)
    mail_from: str = "Escalon <escalon@localhost>"
    # Inbound mail: the largest message accepted (larger ones are refused during the transfer)
    # and the largest attachment kept apart from the stored original.
    mail_max_bytes: int = Field(25 * 1024 * 1024, ge=1024, le=1024**3)
    mail_attachment_max_bytes: int = Field(10 * 1024 * 1024, ge=0, le=1024**3)
    # The authserv-id of the mail server that receives support mail and writes its DMARC/DKIM/SPF
    # verdicts in Authentication-Results (RFC 8601). When set, a mail joins an existing case only
    # if that server says its From passed (dmarc=pass, or an aligned dkim or spf pass); unset,
    # Escalon believes the From header as delivered (see docs/mail.md).
    mail_authserv_id: str | None = Field(None, max_length=255)
    # Inbound mail per sender: at most this many in any window of the seconds below (0: no
    # limit). Over it, `mail-in` answers MAIL FROM with a temporary 451 and `mail-poll` holds
    # the mail for review instead of opening cases.
    mail_sender_limit: int = Field(30, ge=0, le=1_000_000)
    mail_sender_window_seconds: int = Field(3600, ge=1, le=7 * 86_400)
    # What Escalon tells the customer by itself: an acknowledgement of each new case with the
    # expected first answer, a notice when it is resolved, and a follow-up this long after.
    customer_acknowledgement: bool = True
    customer_resolution_notice: bool = True
    customer_follow_up_hours: float = Field(72.0, ge=0, le=24 * 90)
    # A folder of the team's own notification templates (same names as Escalon's, e.g.
    # customer_escalated.txt): found there first, Escalon's own otherwise.
    templates_dir: Path | None = None
    # Where practice sessions keep their sandbox databases (one SQLite file each); beside the
    # SQLite database when unset (`escalon.training.sandbox.training_dir`).
    training_dir: Path | None = None
    # How much faster than real time a practice session's clock runs unless the trainee
    # chooses: an SLA of an hour passes in six minutes.
    training_speed: float = Field(10.0, ge=1, le=3600)
    # Set on a practice sandbox's own settings: no customer link (status page, survey) is ever
    # signed there, since a sandbox case's id may be a real case's id in the installation.
    practice_sandbox: bool = False
    # The largest request body the API reads (413 past it, with or without Content-Length).
    # The largest legitimate ones are roster imports: 10,000 agents are about 5 MB of JSON.
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=1024**3)
    # Threads per API process that run requests' database work (more only add contention).
    api_threads: int = Field(4, ge=1, le=200)
    # How long a verified API token is trusted without asking the database again (the bound on
    # how late another process notices a revoked token or a disabled user).
    token_cache_seconds: float = Field(5.0, ge=0, le=300)
    # Days a new API token lives unless its creator says otherwise (only admins and the CLI may
    # ask for a token that never expires).
    token_lifetime_days: int = Field(90, ge=1, le=3650)
    # Dashboard sessions end this long after sign-in, or after this long without a request.
    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    session_idle_minutes: float = Field(120.0, gt=0, le=24 * 60 * 30)
    # The session cookie's Secure flag: auto (over HTTPS, or when public_url is https),
    # always, or never (a test set-up on plain HTTP).
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    # Keys live outside the database: a key file (made on first run beside a SQLite file;
    # required with PostgreSQL, shared by every host) or ESCALON_KEYS (keys separated by
    # commas, the signing one first). See docs/operations.md, "Keys".
    key_file: Path | None = None
    keys: SecretStr | None = None
    # How long a team's make-up (members, profiles, rotation) is trusted by assignment and
    # escalation before it is read again; open cases are always read fresh.
    roster_cache_seconds: float = Field(5.0, ge=0, le=300)
    # The public contact form: at most `form_rate_limit` posts per client address, and as many
    # per e-mail address, in any window of `form_rate_window_seconds` (0 turns the limit off).
    # Counted in the database with the other rate limits below, so every API process shares it.
    form_rate_limit: int = Field(5, ge=0, le=100_000)
    form_rate_window_seconds: float = Field(600.0, gt=0, le=86_400)
    # Rate limits shared by every API process (counters in the database; 0 turns one off):
    # requests per API token, and requests to the public pages (status, survey, sign-in) per
    # client address, in any window of `rate_limit_window_seconds`; failed authentications
    # (bad or missing API tokens, sign-in attempts) per client address in any window of
    # `rate_limit_auth_window_seconds`, so guessing tokens is slow. See docs/operations.md.
    rate_limit_window_seconds: float = Field(60.0, gt=0, le=86_400)
    rate_limit_token: int = Field(6_000, ge=0, le=100_000_000)
    rate_limit_client: int = Field(1_200, ge=0, le=100_000_000)
    rate_limit_auth_failures: int = Field(20, ge=0, le=100_000_000)
    rate_limit_auth_window_seconds: float = Field(600.0, gt=0, le=86_400)
    # Each process adds its hits to the shared counters after this many hits on one counter
    # (fewer for small limits) and at least this often: a request far below its limit costs
    # no database write. N processes may let (N - 1) x hits through beyond a limit.
    rate_limit_sync_hits: int = Field(20, ge=1, le=10_000)
    rate_limit_sync_seconds: float = Field(1.0, gt=0, le=60)
    # Reverse proxies whose forwarding header is believed (addresses or CIDR networks, comma
    # separated): the client is the right-most address in the header that is not one of them.
    # Requests from any other peer are counted by the peer's own address.
    trusted_proxies: str = Field("", max_length=10_000)
    proxy_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    # Webhooks to loopback, private, link-local and other non-public addresses (or names that
    # resolve to them) are refused unless this is set: a receiver on the same host or network.
    webhook_allow_private: bool = False
    # Which cases staff see, in the API and the dashboard: `all` (every case) or `teams` (the
    # cases of their teams, at their level or assigned to them; admins and integrations see
    # every case). A case someone may not see answers 404. See docs/api.md.
    case_visibility: Literal["all", "teams"] = "all"
    # How often the dashboard's open pages (queues, board, case page) ask for what changed.
    dashboard_refresh_seconds: float = Field(15.0, ge=0.5, le=3600)
    log_level: str = "INFO"
    # The bearer token a Prometheus scraper sends to read /metrics (admins' API tokens work
    # too); unset, only admins may read it. Business volumes are not for every role.
    metrics_token: str | None = Field(None, min_length=16)
    # FastAPI's OpenTelemetry traces, metrics and logs (needs providers configured in the
    # environment); off by default, since checking for them costs every request.
    telemetry: bool = False
    # Customers' signed links (survey, case status): the address customers reach Escalon at,
    # and how many days each kind of link stays valid.
    public_url: str = "http://127.0.0.1:8000"
    survey_link_days: int = Field(30, ge=1, le=3650)
    status_link_days: int = Field(90, ge=1, le=3650)
    # The weekly escalation review mailed to supervisors and admins (`escalon.learning
    # .review_mail`): off unless switched on; it goes out on this weekday and hour in this zone
    # (an IANA name), once the week it reviews has ended.
    review_mail: bool = False
    review_mail_day: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = "monday"
    review_mail_hour: int = Field(8, ge=0, le=23)
    review_mail_timezone: str = Field("UTC", max_length=64)

    @field_validator("review_mail_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """A zone the review mail's schedule can be computed in, refused at start-up if unknown."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Berlin") from None
        return value


@cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
