"""A replay split over processes gives exactly what one process gives."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bench.replay_events import write
from typer.testing import CliRunner

from escalon.cli import app
from tests.builders.engine import opened
from tests.builders.paths import EXAMPLE_POLICY

runner = CliRunner()


def stream_with_trouble() -> str:
    buffer = io.StringIO()
    write(300, buffer, seed=11)
    lines = buffer.getvalue().splitlines()

    # Problems of every kind, at places spread through the stream.
    def instant(index: int) -> str:
        return str(json.loads(lines[index - 1])["at"])

    lines.insert(10, "{not json")
    never = {"at": instant(200), "type": "customer.message", "case": "NEVER", "body": "hi"}
    lines.insert(200, json.dumps(never))
    lines.insert(400, json.dumps(opened("2026-11-01 00:00", "LATE")))  # earlier than before
    lines.insert(600, json.dumps({"at": instant(600), "type": "mystery", "case": "C1"}))
    return "\n".join(lines) + "\n"


def run(tmp_path: Path, jobs: int) -> tuple[bytes, dict[str, object], list[str]]:
    events = tmp_path / "events.jsonl"
    out = tmp_path / f"decisions-{jobs}.jsonl"
    report = tmp_path / f"report-{jobs}.json"
    result = runner.invoke(
        app,
        [
            "replay",
            "--policy",
            str(EXAMPLE_POLICY),
            "--events",
            str(events),
            "--out",
            str(out),
            "--report",
            str(report),
            "--jobs",
            str(jobs),
        ],
    )
    assert result.exit_code == 0, result.output
    skips = [line for line in result.stderr.splitlines() if line.startswith(str(events))]
    return out.read_bytes(), json.loads(report.read_text()), skips


def test_sharded_replay_matches_the_single_process(tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").write_text(stream_with_trouble())
    single = run(tmp_path, 1)
    for jobs in (2, 3):
        sharded = run(tmp_path, jobs)
        assert sharded[0] == single[0]
        assert sharded[1] == single[1]
        assert sharded[2] == single[2]
    decisions, report, skips = single
    assert decisions.count(b"\n") > 100
    assert report["skipped_events"] == 4
    assert [line.split(": ", 1)[1].split(" (")[0] for line in skips] == [
        "not valid JSON",
        "case NEVER was never opened",
        "earlier than the event before it",
        "unknown event type 'mystery'",
    ]
