"""A replay spread over several processes: one per shard of the cases, merged into one result.

Cases never influence each other, so each worker replays the whole stream but applies only the
events of its own cases (`Replay(shard=k, shards=n)`). Every worker writes its decisions already
sorted by `(at, order, sequence)`; merging those runs gives exactly the single-process output, and
the report is the sum of the workers' figures.
"""

from __future__ import annotations

import heapq
import multiprocessing
import os
import pickle
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import IO, Any

from escalon.core.engine import Action
from escalon.core.replay import Replay, ReportBuilder
from escalon.files import load_organisations, load_policy
from escalon.replay.local import detector, fewer_collections, needs_detector

_BATCH = 4096
# Below this size a file is replayed in one process: starting workers would cost more.
PARALLEL_FROM_BYTES = 4 * 2**20
MAX_AUTO_JOBS = 4

Record = tuple[int, int, int | str, int, bytes]


def auto_jobs(events: Path) -> int:
    """How many processes to use for a file when the user did not say."""
    if str(events) == "-":
        return 1
    try:
        size = events.stat().st_size
    except OSError:
        return 1
    if size < PARALLEL_FROM_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_AUTO_JOBS))


def processes(
    jobs: int, events: Path, *, with_roster: bool, with_forecast: bool = False
) -> tuple[int, list[str]]:
    """How many processes replay `events` (`jobs` asked, 0: `auto_jobs`), and notes to print."""
    workers = auto_jobs(events) if jobs == 0 else jobs
    if str(events) == "-":
        workers = 1  # standard input can be read only once
    if with_roster:
        reason = "with a roster the replay runs in one process, because the people's loads are "
        reason += "shared by all cases."
    elif with_forecast:
        reason = "a policy with sla.at_risk rules replays in one process, because its breach "
        reason += "forecast reads every case's queue."
    else:
        return workers, []
    notes = []
    if jobs > 1:
        notes.append(f"--jobs {jobs} was not used: {reason}")
    return 1, notes


@dataclass(frozen=True, slots=True)
class _Job:
    shard: int
    shards: int
    policy: Path
    events: Path
    until: int | None
    model: Path | None
    folder: Path
    organisations: Path | None = None

    def path(self, name: str) -> Path:
        return self.folder / f"{name}-{self.shard}.pickle"


def _write_batches(stream: IO[bytes]) -> tuple[list[Any], Callable[[], None]]:
    batch: list[Any] = []

    def flush() -> None:
        if batch:
            pickle.dump(batch, stream, protocol=pickle.HIGHEST_PROTOCOL)
            batch.clear()

    return batch, flush


def _read_batches(path: Path) -> Iterator[Any]:
    with path.open("rb") as stream:
        while True:
            try:
                batch = pickle.load(stream)
            except EOFError:
                return
            yield from batch


def _work(job: _Job, progress: Synchronized[int] | None) -> None:
    """One worker: replay the stream for one shard, writing decisions, skips and figures."""
    try:
        from pydantic_core import to_json

        policy = load_policy(job.policy)
        organisations = None if job.organisations is None else load_organisations(job.organisations)
        analyzer = detector(job.model) if needs_detector(policy, job.model) else None
        with job.path("decisions").open("wb") as decisions, job.path("skips").open("wb") as skips:
            records, flush_records = _write_batches(decisions)
            skipped, flush_skips = _write_batches(skips)
            sequence = 0
            replay: Replay

            def on_action(action: Action) -> None:
                nonlocal sequence
                sequence += 1
                phase, tiebreak = replay.order
                records.append((action.at, phase, tiebreak, sequence, to_json(action.record())))
                if len(records) >= _BATCH:
                    flush_records()

            def on_skip(number: int, reason: str) -> None:
                skipped.append((number, reason))
                if len(skipped) >= _BATCH:
                    flush_skips()

            replay = Replay(
                policy,
                analyzer=analyzer,
                until=job.until,
                on_action=on_action,
                on_skip=on_skip,
                shard=job.shard,
                shards=job.shards,
                organisations=organisations,
            )
            with job.events.open("rb") as source, fewer_collections():
                replay.feed(_counted(source, progress))
                replay.finish()
            flush_records()
            flush_skips()
        with job.path("figures").open("wb") as figures:
            pickle.dump(("ok", replay.builder), figures)
    except BaseException:  # the parent reports whatever stopped a worker
        with job.path("figures").open("wb") as figures:
            pickle.dump(("error", traceback.format_exc()), figures)


def _counted(source: IO[bytes], progress: Synchronized[int] | None) -> Iterator[tuple[int, bytes]]:
    if progress is None:
        yield from enumerate(source, start=1)
        return
    done = 0
    for number, line in enumerate(source, start=1):
        done += len(line)
        if number % 4096 == 0:
            progress.value = done
        yield number, line
    progress.value = done


class ReplayFailed(RuntimeError):
    """A worker process stopped with an error."""


def worker_result(path: Path, process: Any, name: str) -> Any:
    """What a finished worker process left in `path` (its `("ok", result)`); ReplayFailed
    says how it failed or that it stopped without a word."""
    try:
        status, payload = pickle.loads(path.read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError):
        raise ReplayFailed(f"{name} stopped (exit code {process.exitcode})") from None
    if status != "ok":
        raise ReplayFailed(f"{name} failed:\n{payload}")
    return payload


def run_sharded(
    *,
    policy: Path,
    events: Path,
    jobs: int,
    until: int | None,
    model: Path | None,
    decisions: IO[bytes] | None,
    on_skip: Callable[[int, str], None],
    on_progress: Callable[[int], None] | None = None,
    organisations: Path | None = None,
) -> ReportBuilder:
    """Replay `events` on `jobs` processes; write merged decisions, report skips, return figures."""
    # Fork starts a worker with everything already imported; elsewhere spawn works too.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context: Any = multiprocessing.get_context(method)
    folder = Path(tempfile.mkdtemp(prefix="escalon-replay-"))
    try:
        progress: Synchronized[int] | None = (
            context.Value("q", 0) if on_progress is not None else None
        )
        workers = []
        for shard in range(jobs):
            job = _Job(shard, jobs, policy, events, until, model, folder, organisations)
            process = context.Process(
                target=_work, args=(job, progress if shard == 0 else None), daemon=True
            )
            process.start()
            workers.append((job, process))
        while any(process.is_alive() for _, process in workers):
            if on_progress is not None and progress is not None:
                on_progress(progress.value)
            time.sleep(0.05)
        builder = ReportBuilder()
        for job, process in workers:
            process.join()
            builder.merge(worker_result(job.path("figures"), process, f"replay worker {job.shard}"))
        for number, reason in heapq.merge(
            *(_read_batches(job.path("skips")) for job, _ in workers)
        ):
            on_skip(number, reason)
        if decisions is not None:
            for record in heapq.merge(
                *(_read_batches(job.path("decisions")) for job, _ in workers)
            ):
                decisions.write(record[4])
                decisions.write(b"\n")
        return builder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
