"""Imports keep their shape: modules in an import cycle's path load on their own, whatever is
imported first, and every import points down the layers of pyproject.toml's contracts."""

from __future__ import annotations

import os
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import escalon

ROOT = Path(__file__).resolve().parents[1]


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


def test_imports_keep_the_layer_contracts() -> None:
    root = ROOT
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--config",
            str(root / "pyproject.toml"),
            "--no-cache",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_top_level_module_has_a_layer() -> None:
    # A module no layer names is checked by no contract: a new package must choose its layer.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(contract["layers"] for contract in contracts if contract["type"] == "layers")
    named = {name.strip("() ") for layer in layers for name in re.split(r"[:|]", layer)}
    modules = {f"escalon.{module.name}" for module in pkgutil.iter_modules(escalon.__path__)}
    assert modules - named == set()


def test_an_api_process_starts_without_the_numeric_libraries(tmp_path: Path) -> None:
    # scikit-learn, SciPy and pandas take seconds to import (each API process pays them at its
    # start); the article index and the statistics import them when first used.
    code = (
        "import sys; from escalon.api.main import app_from_environment; "
        "app_from_environment(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'pandas'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "ESCALON_DATABASE_URL": f"sqlite:///{tmp_path / 'escalon.db'}",
            "ESCALON_EMBEDDED_WORKER": "0",
        },
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
