"""Hole 4: documents and request bodies are read within bounds.

The attack: a 399-byte policy whose YAML aliases stand for ten million values (seven nested levels
took 39 s of CPU and 2.5 GB before the fix), or text nested thousands of levels deep (a
RecursionError: 500), or a body of any size. Each is now refused quickly, with a 4xx (or a CLI
error) naming the limit it went past; validating policies is for admins only.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from escalon import files
from escalon.api.app import create_app
from escalon.api.bodies import BodyLimits
from escalon.cli import app as cli
from escalon.clock import ManualClock
from escalon.config import Settings
from escalon.core.calendar import CalendarError
from escalon.database import Database
from escalon.errors import Invalid
from escalon.people.roster import RosterError, load_roster
from escalon.policies import service as policies
from tests.builders.workspace import Workspace, seed

runner = CliRunner()


def alias_bomb(levels: int = 7, size: int = 399) -> str:
    """A policy whose every level lists the one before ten times: 10**levels values."""
    lines = ["name: bomb", "version: 1", "l0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]"]
    lines += [f"l{n}: &l{n} [{','.join([f'*l{n - 1}'] * 10)}]" for n in range(1, levels)]
    text = "\n".join(lines) + "\n"
    padding = size - len(text.encode()) - 2
    assert padding >= 0
    return text + "#" + "-" * padding + "\n"


def merge_bomb(levels: int = 7) -> str:
    """The same with merge keys: each mapping merges the one before ten times over."""
    lines = ["l0: &l0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}"]
    lines += [f"l{n}: &l{n} {{<<: [{', '.join([f'*l{n - 1}'] * 10)}]}}" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def alias_chain(length: int = 900) -> str:
    """Shallow text, deep meaning: each list holds the one before."""
    lines = ["c0: &c0 [x]"] + [f"c{n}: &c{n} [*c{n - 1}]" for n in range(1, length)]
    return "\n".join(lines) + "\n"


DEEP_YAML = "[" * 5000 + "]" * 5000
DEEP_JSON = '{"a": ' * 5000 + "1" + "}" * 5000


def validate(
    workspace: Workspace, source: str, role: str = "admin"
) -> tuple[int, dict[str, object]]:
    response = workspace.client.post(
        "/api/v1/policies/validate",
        json={"source": source, "filename": "attack.yaml"},
        headers=workspace.headers(role),
    )
    return response.status_code, response.json()


# -- policies ----------------------------------------------------------------------------------


def test_the_399_byte_alias_bomb_is_refused_fast_and_small_naming_the_limit(
    workspace: Workspace, record_property: Callable[[str, object], None]
) -> None:
    bomb = alias_bomb()
    assert len(bomb.encode()) == 399

    started = time.process_time()
    status, body = validate(workspace, bomb)
    cpu = time.process_time() - started
    # Measured again with allocations traced (tracing slows it down, so not timed).
    tracemalloc.start()
    validate(workspace, bomb)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    record_property("cpu_seconds", round(cpu, 3))
    record_property("peak_mib", round(peak / 2**20, 1))
    # Before the fix: 22.8 s of CPU and 2.4 GB (seven levels; eight would take ten times more).
    print(f"alias bomb: {status} in {cpu:.3f} s CPU, peak {peak / 2**20:.1f} MiB traced")
    assert status == 422
    assert "expansion limit" in str(body["message"])
    detail = body["details"][0]  # type: ignore[index]
    assert detail["source"] == "attack.yaml"
    assert detail["line"] is not None
    assert cpu < 2.0, "refused after reading a bounded number of values"
    assert peak < 64 * 2**20


def test_chained_merge_keys_do_not_multiply(workspace: Workspace) -> None:
    # PyYAML 6.0.2 and later merge each key node once; earlier 6.0 releases copied every merged
    # pair, 10**7 here. Merges are counted against the expansion limit before they are copied.
    started = time.process_time()
    status, body = validate(workspace, merge_bomb())
    assert status == 200
    assert body["ok"] is False  # a few mappings, but not a policy
    assert time.process_time() - started < 2.0


@pytest.mark.parametrize("text", [DEEP_YAML, DEEP_JSON], ids=["yaml", "json"])
def test_a_deeply_nested_policy_is_refused_naming_the_depth_limit(
    workspace: Workspace, text: str
) -> None:
    status, body = validate(workspace, text)
    assert status == 422
    assert "depth limit" in str(body["message"])
    assert body["details"][0]["line"] == 1  # type: ignore[index]


def test_a_shallow_text_aliased_deep_is_refused_naming_the_depth_limit(
    workspace: Workspace,
) -> None:
    status, body = validate(workspace, alias_chain())
    assert status == 422
    assert "depth limit" in str(body["message"])


def test_a_policy_with_too_many_aliases_is_refused_naming_the_alias_limit(
    workspace: Workspace,
) -> None:
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 1001) + "]\n"
    status, body = validate(workspace, text)
    assert status == 422
    assert "alias limit" in str(body["message"])


def test_a_policy_past_the_size_limit_is_refused_naming_the_size_limit() -> None:
    # 999,999 characters pass the API's length check, but not 2 bytes each in UTF-8.
    text = "# " + "é" * 600_000
    with pytest.raises(Invalid, match="size limit"):
        policies.check(text, "big.yaml")


def test_uploading_an_alias_bomb_stores_nothing(workspace: Workspace) -> None:
    response = workspace.client.post(
        "/api/v1/policies", json={"source": alias_bomb()}, headers=workspace.headers()
    )
    assert response.status_code == 422
    assert "expansion limit" in response.json()["message"]
    listed = workspace.client.get("/api/v1/policies", headers=workspace.headers()).json()
    assert len(listed) == 1


@pytest.mark.parametrize("role", ["supervisor", "agent", "integration"])
def test_only_admins_may_have_a_policy_validated(workspace: Workspace, role: str) -> None:
    status, body = validate(workspace, alias_bomb(), role)
    assert status == 403
    assert body["error"] == "forbidden"


def test_policy_check_on_the_command_line_names_the_file_line_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    started = time.process_time()
    result = runner.invoke(cli, ["policy", "check", str(path)])
    assert time.process_time() - started < 2.0
    assert result.exit_code == 1
    assert f"{path}:" in result.stderr
    assert "expansion limit" in result.stderr


# -- rosters and calendars ---------------------------------------------------------------------


def test_a_roster_file_alias_bomb_is_refused_naming_the_expansion_limit(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    # The roster's budget is larger (rosters are): eight levels go past it.
    path.write_text(alias_bomb(levels=8, size=460).replace("name: bomb\n", ""), encoding="utf-8")
    started = time.process_time()
    with pytest.raises(RosterError) as raised:
        load_roster(path)
    assert time.process_time() - started < 5.0
    assert "expansion limit" in str(raised.value)
    assert raised.value.details[0].source == str(path)


def test_a_deeply_nested_json_roster_is_refused_naming_the_depth_limit(tmp_path: Path) -> None:
    path = tmp_path / "roster.json"
    # The tab makes PyYAML give up first, so the JSON reader gets its turn.
    path.write_text('{\t"agents": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(RosterError, match="depth limit"):
        load_roster(path)


def test_a_calendar_file_alias_bomb_is_refused_naming_the_expansion_limit(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yaml"
    bomb = alias_bomb().replace("name: bomb\nversion: 1\n", "")
    path.write_text("timezone: UTC\n" + bomb + "holidays: *l6\n", encoding="utf-8")
    started = time.process_time()
    with pytest.raises(CalendarError, match="expansion limit"):
        files.load_calendar(path)
    assert time.process_time() - started < 2.0


def test_a_deeply_nested_calendar_file_is_refused_naming_the_depth_limit(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text("timezone: UTC\nholidays: " + DEEP_YAML + "\n", encoding="utf-8")
    with pytest.raises(CalendarError, match="depth limit"):
        files.load_calendar(path)
    result = runner.invoke(
        cli, ["calendar", "add", str(path), "--start", "2026-12-01T09:00:00Z", "--minutes", "1"]
    )
    assert result.exit_code != 0
    assert "depth limit" in result.stderr
    assert "Traceback" not in result.output


# -- request bodies ----------------------------------------------------------------------------

LIMIT = 64 * 1024


@pytest.fixture
def limited(database: Database, clock: ManualClock) -> Iterator[Workspace]:
    """The API with a small body limit (64 KiB)."""
    tokens, policy_id = seed(database, clock)
    settings = Settings(database_url=database.url, token_cache_seconds=0, max_body_bytes=LIMIT)
    app = create_app(settings=settings, database=database, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Workspace(client, database, clock, tokens, policy_id)


def test_a_body_past_the_limit_with_content_length_is_413(limited: Workspace) -> None:
    response = limited.client.post(
        "/api/v1/policies/validate",
        json={"source": "#" * (LIMIT + 1)},
        headers=limited.headers(),
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert "65,536 bytes" in response.json()["message"]


def test_a_chunked_body_past_the_limit_is_413(limited: Workspace) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"source": "'
        for _ in range(100):
            yield b"#" * 1024
        yield b'"}'

    response = limited.client.post(
        "/api/v1/policies/validate",
        content=chunks(),
        headers=limited.headers(**{"Content-Type": "application/json"}),
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413


def test_the_public_contact_form_is_bounded_too(limited: Workspace) -> None:
    response = limited.client.post(
        "/api/v1/forms/contact",
        content=b"name=x&email=a%40example.org&message=" + b"m" * (LIMIT + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_a_chunked_body_is_not_read_past_the_limit() -> None:
    """The middleware stops pulling chunks once the limit is passed: memory stays bounded."""
    pulled = 0
    sent: list[dict[str, object]] = []

    async def endless() -> dict[str, object]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def never(*_args: object) -> None:
        raise AssertionError("the application is not reached")

    middleware = BodyLimits(never, max_bytes=LIMIT)
    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    # In a thread of its own: a test before may leave an event loop running in this one
    # (Playwright's synchronous API does), and asyncio.run refuses to nest.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, middleware(scope, endless, send)).result()  # type: ignore[arg-type]
    assert sent[0]["status"] == 413
    assert pulled == LIMIT // 1024 + 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/policies/validate"),
        ("POST", "/api/v1/cases"),
        ("POST", "/api/v1/roster"),
        ("PUT", "/api/v1/teams/frontline/rotation"),
        ("POST", "/api/v1/forms/contact"),
    ],
)
@pytest.mark.parametrize("depth", [100_000, 900, 33])
def test_a_deeply_nested_json_body_is_a_4xx_naming_the_depth_limit(
    workspace: Workspace, method: str, path: str, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    body = '{"layers": [{"name": ' + nested + "}], " + '"source": ' + nested + "}"
    response = workspace.client.request(
        method,
        path,
        content=body.encode(),
        headers=workspace.headers(**{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422, response.text
    assert "depth limit" in response.json()["message"]


def test_a_body_nested_as_deep_as_a_roster_needs_is_read(workspace: Workspace) -> None:
    roster = {
        "teams": [
            {
                "name": "nights",
                "rotation": {
                    "layers": [
                        {
                            "name": "week",
                            "members": ["ana"],
                            "shift": "1w",
                            "handoff": "2026-11-30T09:00",
                            "timezone": "Europe/Berlin",
                            "restrict": {"mon": ["09:00-17:00"]},
                        }
                    ]
                },
            }
        ]
    }
    response = workspace.client.post(
        "/api/v1/roster", params={"dry_run": True}, json=roster, headers=workspace.headers()
    )
    assert response.status_code == 200, response.text
