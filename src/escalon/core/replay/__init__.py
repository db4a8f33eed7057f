"""Replay: case events through the engine on a virtual clock, with the report a team reads.

`loop` drives the engine over a stream of events, `report` counts the report's figures and
`tally` the roster's (who was paged, who carried what). Reading files, running several
processes and the command line live in `escalon.replay` and `escalon.cli.replay`.
"""

from __future__ import annotations

from escalon.core.replay.loop import Replay, shard_of
from escalon.core.replay.report import ReportBuilder, nearest_rank

__all__ = ["Replay", "ReportBuilder", "nearest_rank", "shard_of"]
