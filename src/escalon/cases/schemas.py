"""What the API reads and writes about customers and cases (Pydantic models)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    Base64Bytes,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from escalon.core.events import STATUS_VALUES

# The field types every checked document shares (a roster's entries too), kept in the core.
from escalon.core.fields import Email, Name, Trimmed
from escalon.core.state import from_us
from escalon.knowledge.schemas import MAX_ATTACHED, Slug

# A working day: more on one message is a typo, not a handle time.
MAX_TIME_SPENT_SECONDS = 24 * 3600

Text = Annotated[str, StringConstraints(max_length=100_000)]
Status = Literal["open", "pending_customer", "pending_third_party", "on_hold", "resolved", "closed"]
assert STATUS_VALUES == (
    "open",
    "pending_customer",
    "pending_third_party",
    "on_hold",
    "resolved",
    "closed",
)


@cache
def _zone_names() -> frozenset[str]:
    # The IANA names this machine knows (read once): not `localtime` or other files that
    # happen to lie in the zone folder.
    return frozenset(available_timezones()) - {"localtime"}


def _zone(value: str) -> str:
    value = value.strip()
    if value not in _zone_names():
        raise ValueError(f"{value!r} is not a time zone: give an IANA name such as Europe/Berlin")
    return value


TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_zone)]


class Strict(BaseModel):
    """Request bodies: unknown fields are refused, so a typo is an error, not silence."""

    model_config = ConfigDict(extra="forbid")


def instant(us: int | None) -> datetime | None:
    """A stored instant (µs since the epoch) as an aware UTC datetime."""
    return None if us is None else from_us(us)


# -- customers ---------------------------------------------------------------------------------


class CustomerIn(Strict):
    """A customer: `ref` is how other systems know them (CRM id, e-mail...)."""

    ref: Annotated[str, StringConstraints(min_length=1, max_length=200), Trimmed]
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    email: Email | None = None
    tier: Name | None = None
    timezone: TimeZoneName | None = Field(
        None, description="their IANA time zone; messages to them say times in it"
    )


class CustomerPatch(Strict):
    """Fields of a customer to change."""

    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    email: Email | None = None
    tier: Name | None = None
    timezone: TimeZoneName | None = None


class CustomerOut(BaseModel):
    """A customer."""

    id: int
    ref: str
    name: str | None
    email: str | None
    tier: str | None
    timezone: str | None = None
    created_at: datetime
    updated_at: datetime


class CustomerRef(BaseModel):
    """A customer, briefly."""

    id: int
    ref: str
    name: str | None


# -- cases -------------------------------------------------------------------------------------


class CaseCreate(Strict):
    """A new case. Name the customer by `customer_id`, or give `customer` to find-or-create them."""

    customer_id: int | None = Field(None, ge=1, le=2**62, strict=True)
    customer: CustomerIn | None = None
    subject: Annotated[str, StringConstraints(max_length=500)] = ""
    body: Text = ""
    channel: Name | None = Field(None, description="email, chat, phone, web, social, api...")
    category: Name | None = None
    tier: Name | None = Field(None, description="defaults to the customer's tier")
    priority: Name | None = Field(None, description="else from impact and urgency, else default")
    impact: Name | None = None
    urgency: Name | None = None
    team: Name | None = Field(None, description="defaults to the first level's team")

    @model_validator(mode="after")
    def _one_customer(self) -> CaseCreate:
        if (self.customer_id is None) == (self.customer is None):
            raise ValueError("give exactly one of customer_id and customer")
        return self


class PolicyRef(BaseModel):
    """The policy version a case is evaluated under."""

    id: int
    name: str
    version: str


class HolderTimeOut(BaseModel):
    """Time a case spent with one holder: a team, at a level, with a person or in the queue."""

    team: str
    level: str
    assignee: str | None
    seconds: float


class AttributionOut(BaseModel):
    """Whose time the case's time was, from its opening to `measured_at` (resolved or closed
    time is nobody's and not counted): per holder, per team, per level and per party."""

    measured_at: datetime
    elapsed_seconds: float = Field(description="every counted second: each breakdown sums to it")
    parties: dict[str, float] = Field(
        description="seconds per party: ours (open, on hold), customer (pending_customer), "
        "third_party (pending_third_party)"
    )
    teams: dict[str, float]
    levels: dict[str, float]
    holders: list[HolderTimeOut]


class OlaOut(BaseModel):
    """The case's latest OLA cycle: the internal target of the team it landed in."""

    team: str
    cycle: int
    started_at: datetime
    target_seconds: float | None
    counted_seconds: float
    warning_at: datetime | None
    due_at: datetime | None = Field(description="when the team's OLA falls due, while it runs")
    running: bool
    paused: bool
    outcome: str | None = Field(description="met, breached, untracked once over")
    breached: bool


class OrganisationRef(BaseModel):
    """A customer's organisation, briefly, and how the customer came to belong to it."""

    name: str
    tier: str | None
    timezone: str
    by: Literal["assignment", "domain"]


class Deadline(BaseModel):
    """One running SLA clock's due instant, in the calendar's zone and in the viewer's."""

    metric: str
    cycle: int
    state: Literal["running", "warning", "paused", "breached"]
    due_at: datetime | None = Field(description="in the calendar's zone (null while paused)")
    due_at_viewer: datetime | None = Field(description="the same instant in the viewer's zone")
    warning_at: datetime | None
    remaining_seconds: float | None = Field(description="business time left; negative when overdue")


class Deadlines(BaseModel):
    """Every running clock of a case, the calendar that measures them and the zones shown."""

    calendar: str | None = Field(description="the SLA's calendar, or `customer` when it follows")
    timezone: str = Field(description="the calendar's zone")
    viewer_timezone: str = Field(description="the viewer's zone: ?timezone=, else their own")
    clocks: list[Deadline]


class CaseOut(BaseModel):
    """A case as it stands."""

    id: int
    customer: CustomerRef
    subject: str
    channel: str | None
    category: str | None
    # Where the category came from (request, keyword, classifier, person) and, from the
    # classifier, its probability.
    category_source: str | None = None
    category_confidence: float | None = None
    tier: str | None
    priority: str
    status: str
    level: str
    team: str
    assignee: str | None
    escalations: int
    awaiting_acknowledgement: bool
    reopened: int
    tags: list[str]
    policy: PolicyRef
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    root_cause: str | None = Field(None, description="named when the case was resolved")
    root_cause_code: str | None = Field(
        None,
        description="the policy's code for the root cause ('other': in the person's words); "
        "null when the policy lists no codes",
    )
    organisation: OrganisationRef | None = Field(
        None, description="the customer's organisation (one case, read by staff)"
    )
    deadlines: Deadlines | None = Field(
        None, description="every running SLA clock's due instant (one case, read by staff)"
    )
    due_at: datetime | None = Field(description="earliest due instant of its running SLA clocks")
    warning_at: datetime | None = Field(
        None, description="when the clock due first reaches its SLA's warning threshold"
    )
    next_check_at: datetime | None = Field(description="when Escalon looks at it again by itself")
    version: int = Field(description="also sent as the ETag; send it back in If-Match")
    attribution: AttributionOut | None = Field(
        None, description="whose time the case's time was (GET /cases/{id} only)"
    )
    ola: OlaOut | None = Field(
        None, description="its latest OLA cycle, if its policy gives a team one (GET only)"
    )


class RiskModelOut(BaseModel):
    """The escalation-risk model that scored a case."""

    id: int
    trained_at: datetime
    cases: int = Field(description="cases with a known outcome it was fitted on")
    auc: float | None = Field(None, description="on the later window it was judged on")
    brier: float | None = None


class EscalationRiskOut(BaseModel):
    """How likely a case is to be escalated, as scored when it opened, and why."""

    probability: float | None = Field(
        description="null when no model has scored the case; `note` says why"
    )
    signals: list[str] = Field(description="the largest reasons, in words, strongest first")
    model: RiskModelOut | None
    note: str | None = None


class CaseDetailOut(CaseOut):
    """A case as it stands, with its escalation risk (staff only; null for integrations)."""

    escalation_risk: EscalationRiskOut | None = None


class LikelyEscalationOut(BaseModel):
    """An open case that was never escalated, and its escalation risk."""

    id: int
    subject: str
    team: str
    assignee: str | None
    priority: str
    status: str
    opened_at: datetime
    probability: float
    signals: list[str]


class LikelyEscalationsOut(BaseModel):
    """Open, never escalated cases in the caller's sight, highest risk first."""

    items: list[LikelyEscalationOut]
    model: RiskModelOut | None
    note: str | None = None


class CasePage(BaseModel):
    """One page of cases; pass `next_cursor` as `cursor` for the next page."""

    items: list[CaseOut]
    next_cursor: str | None


class CasePatch(Strict):
    """Fields of a case to change (send the case's version in If-Match)."""

    status: Status | None = None
    priority: Name | None = None
    category: Name | None = None
    tier: Name | None = None
    channel: Name | None = None
    root_cause: Annotated[str, StringConstraints(min_length=1, max_length=200), Trimmed] | None = (
        Field(None, description="what caused the problem, named when resolving (for the numbers)")
    )
    root_cause_code: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        None,
        description="one of the policy's root-cause codes, or 'other' with root_cause in words; "
        "resolving an escalated case needs one when the policy lists codes",
    )

    @model_validator(mode="after")
    def _something(self) -> CasePatch:
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        return self


DueClock = Literal["first_response", "next_response", "periodic_update", "resolution"]


class AssignIn(Strict):
    """Who handles the case (null: back to the team's queue)."""

    assignee: Name | None


class AttachmentIn(Strict):
    """A file on an agent's message, its content in base64 (at most 10 MB once decoded)."""

    filename: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    content_type: Annotated[str, StringConstraints(max_length=255)] = "application/octet-stream"
    content_base64: Base64Bytes = Field(description="the file's bytes, base64-encoded")


class AttachmentOut(BaseModel):
    """A file kept with a message (its content: the case page's download link, staff only)."""

    id: int
    filename: str
    content_type: str
    size: int


class BulkAssignIn(Strict):
    """Several cases for one person (null: back to their teams' queues)."""

    case_ids: Annotated[
        list[Annotated[int, Field(ge=1, le=2**62)]], Field(min_length=1, max_length=200)
    ] = Field(description="at most 200; each is checked as if assigned alone")
    assignee: Name | None


class BulkAssignResult(BaseModel):
    """What became of one case: done (assigned, or was theirs already), refused (why), or
    not_found (no such case, or not one the caller may see)."""

    case_id: int
    outcome: Literal["done", "refused", "not_found"]
    reason: str | None = None
    changed: bool = Field(description="false when the case was already theirs")


class BulkAssignOut(BaseModel):
    """One result per distinct case id, in the order asked."""

    results: list[BulkAssignResult]


class MessageIn(Strict):
    """A message on a case: from the customer, or from an agent (public reply or internal note)."""

    author: Literal["customer", "agent"]
    body: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
    public: bool = Field(
        True, strict=True, description="agent messages only: false for an internal note"
    )
    channel: Name | None = None
    subject: Annotated[str, StringConstraints(max_length=500)] | None = None
    attachments: list[AttachmentIn] = Field(
        default_factory=list,
        max_length=10,
        description="agent messages only: files kept with it and sent with a reply",
    )
    articles: list[Slug] = Field(
        default_factory=list,
        max_length=MAX_ATTACHED,
        description="agent public replies only: public knowledge-base articles (by slug) sent "
        "with the reply, each as a link to its help page",
    )
    time_spent_seconds: int | None = Field(
        None,
        ge=0,
        le=MAX_TIME_SPENT_SECONDS,
        strict=True,
        description="agent messages only: seconds spent working on it (the case's handle time "
        "and the staffing forecast add these up)",
    )

    @model_validator(mode="after")
    def _customers_write_publicly(self) -> MessageIn:
        if self.author == "customer" and not self.public:
            raise ValueError("a customer's message is always public")
        if self.author == "customer" and self.attachments:
            raise ValueError("attachments come with an agent's message")
        if self.articles and (self.author != "agent" or not self.public):
            raise ValueError("articles come with an agent's public reply")
        if self.time_spent_seconds is not None and self.author != "agent":
            raise ValueError("time spent comes with an agent's message")
        return self


class DeliveryOut(BaseModel):
    """How far an agent's reply got on its way to the customer (from its outbox row)."""

    state: Literal["queued", "sent", "failed", "not_sent", "cancelled", "captured"] = Field(
        description="queued: waiting or retrying; sent: handed to the mail server or webhook; "
        "failed: given up (see reason); not_sent: written to the log only (no mail server, "
        "or no way to reach the customer); captured: kept by a practice session's sandbox, "
        "never sent"
    )
    channel: str = Field(description="email, webhook or log")
    to: str = Field(description="the e-mail address, or the webhook's name")
    reason: str | None = Field(None, description="why it failed or waits (the latest error)")
    attempts: int
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None


class MessageOut(BaseModel):
    """A message on a case."""

    id: int
    case_id: int
    at: datetime
    author_kind: str
    author: str
    public: bool
    channel: str | None
    subject: str | None
    body: str
    details: dict[str, Any] | None = Field(
        None, description="what the channel knows of it (e-mail headers, a call's duration...)"
    )
    time_spent_seconds: int | None = Field(
        None, description="an agent's message: seconds they spent on it, as they gave it"
    )
    attachments: list[AttachmentOut] = Field(default_factory=list)
    delivery: DeliveryOut | None = Field(
        None, description="an agent's reply sent from Escalon: how far it got (staff only)"
    )


class EscalateIn(Strict):
    """A manual escalation: hierarchical to a higher level, or functional to another team."""

    kind: Literal["hierarchical", "functional"]
    to_level: Name | None = None
    to_team: Name | None = None
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000), Trimmed]

    @model_validator(mode="after")
    def _target(self) -> EscalateIn:
        if self.kind == "hierarchical" and (self.to_level is None or self.to_team is not None):
            raise ValueError("a hierarchical escalation names to_level (and no to_team)")
        if self.kind == "functional" and (self.to_team is None or self.to_level is not None):
            raise ValueError("a functional escalation names to_team (and no to_level)")
        return self


class DeEscalateIn(Strict):
    """Return a case to a lower level, with a hand-over note for the people there."""

    to_level: Name
    note: Annotated[str, StringConstraints(min_length=1, max_length=10_000), Trimmed]


class EscalationOut(BaseModel):
    """An escalation, de-escalation or routing of a case."""

    id: int
    case_id: int
    kind: str
    action: str
    from_level: str | None
    to_level: str | None
    from_team: str | None
    to_team: str | None
    rule: str
    trigger: str
    metric: str | None
    reason: str | None
    actor: str
    at: datetime
    recorded_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None


class ApprovalIn(Strict):
    """Ask to grant something: a refund of an amount, say."""

    kind: Name
    amount: float = Field(ge=0, le=1e15, allow_inf_nan=False, strict=True)
    note: Annotated[str, StringConstraints(max_length=10_000)] = ""


class ApprovalDecisionIn(Strict):
    """Approve or reject a pending approval request."""

    decision: Literal["approve", "reject"]
    note: Annotated[str, StringConstraints(max_length=10_000)] = ""


class AuthorityOut(BaseModel):
    """How much of a kind someone may grant on their own, and what gives it to them."""

    amount: float | Literal["unlimited"]
    basis: str = Field(
        description="`own limit` (their agent profile's), `level 'NAME'` (the level they staff), "
        "or why they have none (`not linked to an agent`)"
    )


class NeedsOut(BaseModel):
    """What authority deciding a request takes."""

    amount: float = Field(description="an authority of at least this amount of the kind")
    level: str | None = Field(
        description="the lowest level whose authority covers it (null: no level's does; only "
        "someone whose own limit covers it may decide)"
    )


class ApprovalOut(BaseModel):
    """An approval request and where it stands."""

    id: int
    case_id: int
    kind: str
    amount: float
    note: str
    requested_by: str
    requested_at: datetime
    level: str = Field(description="the level the case was at when asked")
    status: Literal["granted", "pending", "approved", "rejected", "withdrawn"]
    decided_by: str | None = Field(
        description="who granted, approved, rejected or withdrew it (the requester when granted "
        "at once)"
    )
    decided_at: datetime | None
    decision_note: str | None
    requester_authority: AuthorityOut | None = Field(
        None, description="the requester's own authority for the kind when they asked"
    )
    needs: NeedsOut | None = Field(None, description="the authority deciding it takes")
    decider_authority: AuthorityOut | None = Field(
        None, description="the authority it was granted, approved or rejected by"
    )


class SurveyIn(Strict):
    """The customer's answer to the satisfaction survey."""

    score: int = Field(ge=1, le=5, strict=True)
    comment: Annotated[str, StringConstraints(max_length=10_000)] = ""


class MigrateIn(Strict):
    """Move a case to another stored policy version."""

    policy_version_id: int = Field(ge=1, le=2**62, strict=True)


class ClockOut(BaseModel):
    """One SLA clock of a case, measured now."""

    metric: str
    cycle: int
    started_at: datetime
    target_seconds: float | None
    counted_seconds: float
    remaining_seconds: float | None = Field(description="business time left; negative when overdue")
    warning_at: datetime | None
    due_at: datetime | None
    paused: bool
    running: bool
    warned: bool
    breached: bool


class BreachForecastOut(BaseModel):
    """How likely the case's nearest running clock is to breach, and why."""

    metric: str
    due_at: datetime
    probability: float = Field(description="chance the clock is not met by its due instant")
    cases_ahead: int = Field(description="open cases of the team that fall due earlier")
    expected_answers_before_due: float = Field(
        description="answers the team is expected to give before the due instant, at its pace"
    )
    source: Literal["model", "queue"] = Field(
        description="the team's fitted model, or the queue's estimate alone (none fitted yet)"
    )


class SlaOut(BaseModel):
    """The SLA a case is measured by, and each of its clocks."""

    case_id: int
    sla: str | None
    calendar: str | None = Field(description="the SLA's calendar, or `customer` when it follows")
    always_open: bool = Field(False, description="whether that calendar never closes")
    timezone: str
    measured_at: datetime
    status: str
    clocks: list[ClockOut]
    breach_forecast: BreachForecastOut | None = Field(
        default=None,
        description="the forecast for the nearest running clock (null: none runs, or the "
        "team's pace is not known yet)",
    )


class AuditEntryOut(BaseModel):
    """One change to a case."""

    id: int
    at: datetime
    recorded_at: datetime
    actor: str
    kind: str
    rule: str | None
    key: str | None
    data: dict[str, object] | None


class AuditPage(BaseModel):
    """Part of a case's audit trail, oldest first; pass `next_after` as `after` to go on."""

    items: list[AuditEntryOut]
    next_after: int | None
