"""Running the `escalon` command as a benchmark's separate process: wall time and peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def timed_escalon(arguments: list[str]) -> tuple[float, int]:
    """Run `escalon ARGS` in its own process; (wall seconds, peak resident bytes). A failure
    stops the benchmark with the command's last words."""
    command = [str(Path(sys.executable).with_name("escalon")), *arguments]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        assert process.stderr is not None
        raise SystemExit(f"escalon {arguments[0]} failed: {process.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss * 1024
