"""Run django-helpdesk's escalate_tickets benchmark (run.py) in its own venv; stdlib only.

    python -m bench.helpdesk.harness --open 100000 --due 10000 \
        --database postgresql://127.0.0.1:5432/helpdesk_bench
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VENV = HERE.parent / ".venvs" / "helpdesk"
RUN_SCRIPT = HERE / "run.py"
# Exact pins so two machines measure the same code. Changing them rebuilds the venv.
REQUIREMENTS = ("django-helpdesk==2.6.1", "Django==5.2.19", "psycopg[binary]==3.3.9")
STAMP = VENV / ".bench-stamp"
TAIL = 3000


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def _wanted_stamp() -> str:
    version = ".".join(str(part) for part in sys.version_info[:3])
    return json.dumps({"python": version, "requirements": list(REQUIREMENTS)})


def _run(command: list[str], what: str, timeout: float | None = None) -> str:
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"{what} timed out after {timeout} s") from error
    if done.returncode != 0:
        tail = (done.stderr or done.stdout)[-TAIL:]
        raise RuntimeError(f"{what} failed with exit code {done.returncode}:\n{tail}")
    return done.stdout


def ensure_venv() -> Path:
    """Create or refresh bench/.venvs/helpdesk and return the path of its python."""
    python = _venv_python()
    wanted = _wanted_stamp()
    if python.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return python
    if VENV.exists():
        shutil.rmtree(VENV)
    _run([sys.executable, "-m", "venv", str(VENV)], "creating the helpdesk venv")
    _run(
        [str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
        "installing django-helpdesk into its venv",
    )
    STAMP.write_text(wanted)
    return python


def run_helpdesk(
    open_cases: int, due_cases: int, database_url: str, timeout: float | None = None
) -> dict[str, Any]:
    """Seed a fresh database, time escalate_tickets once and return run.py's JSON result."""
    python = ensure_venv()
    command = [str(python), str(RUN_SCRIPT), "--open", str(open_cases), "--due", str(due_cases)]
    command += ["--database", database_url, "--json"]
    stdout = _run(command, f"helpdesk benchmark ({open_cases} open, {due_cases} due)", timeout)
    lines = stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as error:
        raise RuntimeError(f"no JSON result from run.py; stdout ends:\n{stdout[-TAIL:]}") from error
    if not isinstance(result, dict):
        raise RuntimeError(f"run.py printed {result!r}, not a JSON object")
    return result


def main(argv: list[str] | None = None) -> None:
    """Command line: run one size and print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--open", type=int, default=100_000, help="Open tickets to seed.")
    parser.add_argument("--due", type=int, default=10_000, help="How many of them are due.")
    parser.add_argument(
        "--database",
        default="sqlite:////tmp/helpdesk_bench.db",
        help="sqlite:////path/file.db or postgresql://host:port/dbname (recreated!)",
    )
    args = parser.parse_args(argv)
    print(json.dumps(run_helpdesk(args.open, args.due, args.database)))


if __name__ == "__main__":
    main()
