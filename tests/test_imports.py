"""Modules that sit in an import cycle's path load on their own, whatever is imported first."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "escalon.worker.timers",
        "escalon.worker.runner",
        "escalon.cases.assigning",
        "escalon.cases.opening",
        "escalon.cases.messages",
        "escalon.cases.approvals",
    ],
)
def test_the_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
