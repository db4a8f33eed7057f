"""API benchmark: cases created per second through the REST API, on SQLite and on PostgreSQL.

`escalon serve` runs under uvicorn on loopback (no embedded worker) and `wrk` posts cases for a
bounded time, each with its own Idempotency-Key and one of a thousand customers. Without `wrk`
on the machine a small Python client does the same, more slowly (it shares the two cores).

    python -m bench.api                 # 20 s per database (the issue's measurement)
    python -m bench.api --tiny          # what CI runs
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, select

from bench import load
from escalon.auth import service as auth
from escalon.cases.models import Case
from escalon.database import Database
from escalon.database.migrate import upgrade
from escalon.demo import policy_text
from escalon.people import service as people
from escalon.people.schemas import AgentIn, TeamIn
from escalon.policies import service as policies

SERVER = "postgresql://root@127.0.0.1:5432"
GOAL_POSTGRESQL = 1_000
BENCH_TOKEN_LIMIT = 100_000_000  # requests per minute
WRK_SCRIPT = """
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local counter = 0
local token = os.getenv("ESCALON_BENCH_TOKEN")
local run = os.getenv("ESCALON_BENCH_RUN")
request = function()
  counter = counter + 1
  local customer = counter % 1000
  local body = '{"customer": {"ref": "bench-' .. customer .. '", "tier": "standard"}, '
    .. '"subject": "Cannot log in", "body": "The login page says my password is wrong.", '
    .. '"channel": "web", "category": "account", "impact": "medium", "urgency": "low"}'
  local headers = {}
  headers["Authorization"] = "Bearer " .. token
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = run .. "-" .. tostring(id) .. "-" .. counter
  return wrk.format("POST", "/api/v1/cases", headers, body)
end
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fresh_postgres(name: str) -> str:
    with psycopg.connect(f"{SERVER}/test", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{SERVER}/{name}"


def prepare(url: str) -> str:
    """Migrate, store the example policy and a staffed ladder, return an integration token.

    Every new case is assigned: frontline's 20 agents take them in turn, so intake pays for
    reading its team and the agents' open cases, as in a real workspace.
    """
    database = Database(url)
    upgrade(database)
    now = time.time_ns() // 1000
    with database.write() as session:
        for team in ("frontline", "supervisors", "specialists", "management", "finance"):
            strategy = "round_robin" if team == "frontline" else "least_loaded"
            people.create_team(session, data=TeamIn(name=team, assignment=strategy), now=now)
        for number in range(20):
            people.create_agent(
                session,
                data=AgentIn(
                    handle=f"agent-{number:02}",
                    name=f"Agent {number}",
                    teams=["frontline"],
                    capacity=10_000,
                ),
                now=now,
            )
        version, _ = policies.upload(
            session, text=policy_text(), filename="policy.yaml", user_id=None, now=now
        )
        policies.activate(session, version_id=version.id, user_id=None, now=now)
        user = auth.create_user(session, username="bench", role="integration", now=now)
        _record, token = auth.create_token(session, user=user, now=now)
    database.dispose()
    return token


def count_cases(url: str) -> int:
    """Cases stored."""
    database = Database(url)
    with database.read() as session:
        found = int(session.scalar(select(func.count()).select_from(Case)) or 0)
    database.dispose()
    return found


def serve(url: str, port: int, processes: int, log: Path) -> subprocess.Popen[bytes]:
    """Start `escalon serve` and wait until it answers."""
    load.bench_keys()
    env = {
        **os.environ,
        "ESCALON_DATABASE_URL": url,
        "ESCALON_LOG_LEVEL": "WARNING",
        # One token posts as fast as it can: its limit is set far above what a run reaches, so
        # every request is still counted (and synced) and the limiter's cost is measured.
        "ESCALON_RATE_LIMIT_TOKEN": str(BENCH_TOKEN_LIMIT),
    }
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("escalon")),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(processes),
            "--no-embedded-worker",
        ],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"escalon serve did not start: {log.read_text()[-2000:]}")


def run_wrk(port: int, token: str, seconds: int, connections: int) -> tuple[int, float, int, str]:
    """(requests, requests/s, non-2xx, latency line) from wrk."""
    script = Path(tempfile.mkdtemp()) / "cases.lua"
    script.write_text(WRK_SCRIPT)
    env = {**os.environ, "ESCALON_BENCH_TOKEN": token, "ESCALON_BENCH_RUN": uuid.uuid4().hex[:8]}
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = re.search(r"50%\s+(\S+).*?99%\s+(\S+)", output, re.S)
    line = f"p50 {latency.group(1)}, p99 {latency.group(2)}" if latency else ""
    return requests, rate, int(bad.group(1)) if bad else 0, line


def run_python(port: int, token: str, seconds: int, threads: int) -> tuple[int, float, int, str]:
    """The same load from Python threads (when wrk is not installed)."""
    done = [0]
    bad = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    run = uuid.uuid4().hex[:8]

    def client(number: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            count = 0
            while time.monotonic() < stop:
                count += 1
                response = http.post(
                    "/api/v1/cases",
                    json={
                        "customer": {"ref": f"bench-{count % 1000}"},
                        "subject": "Cannot log in",
                        "channel": "web",
                        "impact": "medium",
                        "urgency": "low",
                    },
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Idempotency-Key": f"{run}-{number}-{count}",
                    },
                )
                with lock:
                    done[0] += 1
                    bad[0] += response.status_code != 201

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return done[0], done[0] / (time.monotonic() - started), bad[0], "(python client)"


def measure(label: str, url: str, processes: int, seconds: int, logs: Path) -> float:
    """Cases per second created through the API on one database."""
    token = prepare(url)
    port = _free_port()
    server = serve(url, port, processes, logs / f"serve-{label}.log")
    try:
        if shutil.which("wrk"):
            requests, rate, bad, latency = run_wrk(port, token, seconds, 32)
        else:
            requests, rate, bad, latency = run_python(port, token, seconds, 8)
    finally:
        server.terminate()
        server.wait(60)
    stored = count_cases(url)
    ok = requests - bad
    print(
        f"  {label}, {processes} process(es): {rate:,.0f} cases/s over {seconds} s "
        f"({requests:,} requests, {bad} not 201, {stored:,} cases stored; {latency})",
        flush=True,
    )
    # wrk stops counting at the deadline; requests still in flight may complete after it.
    if bad or not ok <= stored <= ok + 64:
        raise RuntimeError(f"{label}: {bad} failed requests, {stored} stored for {ok} answered")
    return rate


def main(argv: list[str] | None = None) -> None:
    """Measure SQLite (one process) and PostgreSQL (two processes)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="A short run, for CI.")
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args(argv)
    seconds = 2 if args.tiny else args.seconds
    logs = Path(tempfile.mkdtemp(prefix="escalon-api-bench-"))
    tool = "wrk" if shutil.which("wrk") else "a Python client (install wrk for real figures)"
    print(f"API benchmark: POST /api/v1/cases with {tool}; server logs in {logs}")
    measure("SQLite", f"sqlite:///{logs / 'bench.db'}", 1, seconds, logs)
    rate = measure("PostgreSQL", _fresh_postgres("escalon_bench_api"), 2, seconds, logs)
    print(
        f"  goal on PostgreSQL with 2 processes: {GOAL_POSTGRESQL:,}/s: "
        f"{'met' if rate >= GOAL_POSTGRESQL else 'NOT met'}"
    )
    print(json.dumps({"postgresql_cases_per_second": round(rate)}))


if __name__ == "__main__":
    main()
