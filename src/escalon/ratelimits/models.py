"""The table of the shared rate-limit counters."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from escalon.database.base import Base, Instant


class RateCounter(Base):
    """Hits on one limited subject (a token, a client address...) in one fixed window.

    Every process adds its hits here in batches; a limit is decided on this window's count
    and the previous window's (weighted by how much of it the sliding window still covers).
    """

    __tablename__ = "rate_counters"

    # The rule and a digest of the subject ("token:3f2a..."): no addresses or e-mail addresses
    # in clear, and a bounded length whatever the subject.
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    # The window's first instant (µs), a multiple of the rule's window length.
    window_start: Mapped[int] = mapped_column(Instant, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    # When the row stops mattering (the end of the window after it): swept after that.
    expires_at: Mapped[int] = mapped_column(Instant)

    __table_args__ = (Index("ix_rate_counters_expires_at", "expires_at"),)
