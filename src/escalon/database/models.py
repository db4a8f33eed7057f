"""Every table, imported in one place so Alembic and `create_all` see the whole schema."""

from __future__ import annotations

from escalon.admin_audit.models import AdminAuditEntry
from escalon.auth.models import ApiToken, DashboardSession, User
from escalon.cases.models import (
    ApprovalRequest,
    AuditEntry,
    Case,
    ClockEvent,
    Customer,
    Escalation,
    IdempotencyKey,
    Message,
)
from escalon.channels.models import (
    Attachment,
    CaseParticipant,
    InboundEmail,
    StaffNotification,
    ThreadRef,
)
from escalon.database.base import Base
from escalon.forecast.models import CaseRisk, ForecastModel, RiskModelRun
from escalon.knowledge.models import KnowledgeArticle
from escalon.learning.models import (
    Kudos,
    Lesson,
    ReviewMail,
    ReviewMailOptOut,
    RunTopic,
    TopicCase,
    TopicRun,
)
from escalon.notifications.models import OutboxMessage, Webhook
from escalon.organisations.models import Organisation, OrganisationDomain
from escalon.people.models import Agent, Team, team_members
from escalon.policies.models import PolicyVersion
from escalon.ratelimits.models import RateCounter
from escalon.training.models import PracticeSession, TrainingScenario

__all__ = [
    "AdminAuditEntry",
    "Agent",
    "ApiToken",
    "ApprovalRequest",
    "Attachment",
    "AuditEntry",
    "Base",
    "Case",
    "CaseParticipant",
    "CaseRisk",
    "ClockEvent",
    "Customer",
    "DashboardSession",
    "Escalation",
    "ForecastModel",
    "IdempotencyKey",
    "InboundEmail",
    "KnowledgeArticle",
    "Kudos",
    "Lesson",
    "Message",
    "Organisation",
    "OrganisationDomain",
    "OutboxMessage",
    "PolicyVersion",
    "PracticeSession",
    "RateCounter",
    "ReviewMail",
    "ReviewMailOptOut",
    "RiskModelRun",
    "RunTopic",
    "StaffNotification",
    "Team",
    "ThreadRef",
    "TopicCase",
    "TopicRun",
    "TrainingScenario",
    "User",
    "Webhook",
    "team_members",
]
