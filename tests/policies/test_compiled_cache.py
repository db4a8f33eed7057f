"""Compiled policies are kept per process: two databases in one process (the installation and a
practice sandbox) both have a policy version 1, and each must get its own."""

from __future__ import annotations

from pathlib import Path

from escalon.database import Database
from escalon.database.migrate import upgrade
from escalon.demo import policy_text
from escalon.policies import service as policies
from escalon.training.sandbox import practice_policy


def _with_policy(path: Path, text: str) -> Database:
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    with database.write() as session:
        version, _ = policies.upload(session, text=text, filename="p.yaml", user_id=None, now=1)
        policies.activate(session, version_id=version.id, user_id=None, now=1)
    return database


def test_two_databases_version_one_each_compile_their_own_policy(tmp_path: Path) -> None:
    installation = _with_policy(tmp_path / "main.db", policy_text())
    sandbox = _with_policy(tmp_path / "sandbox.db", practice_policy(policy_text()))
    try:
        with installation.read() as session:
            real = policies.compiled(session, 1)
        with sandbox.read() as session:
            practice = policies.compiled(session, 1)
        with installation.read() as session:
            again = policies.compiled(session, 1)
    finally:
        installation.dispose()
        sandbox.dispose()
    assert real.name == "acme-support"
    assert practice.name == "acme-support (practice)"
    assert again is real
