"""`escalon serve`, `worker`, `demo`, `db`, `users`, `tokens` and `cases`: running the service."""

from __future__ import annotations

import importlib
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from escalon.config import Settings, get_settings

db_app = typer.Typer(help="The database: create or upgrade its schema.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
cases_app = typer.Typer(help="Operations on stored cases.", no_args_is_help=True)

DEMO_DATABASE = "sqlite:///escalon-demo.db"


def _database(settings: Settings) -> Any:
    from escalon.composition import open_database

    # Every table, so a foreign key (policy_versions.uploaded_by -> users) resolves in a command
    # that imports only its own domain's models.
    importlib.import_module("escalon.database.models")

    return open_database(settings)


def fail(message: str) -> NoReturn:
    """Print an error for the person at the terminal and exit with status 1."""
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[red]error[/red] {message}")
    raise typer.Exit(1)


@contextmanager
def ending_on_refusal() -> Iterator[None]:
    """Run the block; a request Escalon refuses in it ends the command with its message (exit 1)."""
    from escalon.errors import EscalonError

    try:
        yield
    except EscalonError as error:
        fail(error.message)


def _ready(database: Any) -> None:
    from escalon.database.migrate import SchemaOutOfDate, require_current

    try:
        require_current(database)
    except SchemaOutOfDate as error:
        fail(str(error))


def operator() -> str:
    """How the admin audit trail names whoever runs a command on the server itself."""
    import getpass

    try:
        return f"operator:{getpass.getuser()}"
    except (KeyError, OSError):
        return "operator"


def audit(session: Any, action: str, target: str, data: dict[str, Any] | None = None) -> None:
    """Record an administrative change made from the command line."""
    from escalon.admin_audit import service as admin_audit
    from escalon.clock import SystemClock

    admin_audit.record(
        session,
        actor=operator(),
        via="cli",
        action=action,
        target=target,
        at=SystemClock().now_us(),
        data=data,
    )


def load_keys(settings: Settings) -> Any:
    """Install this installation's keys (kept outside the database), or exit 1 saying why."""
    from escalon import keys

    try:
        return keys.install(keys.load(settings))
    except keys.KeysUnavailable as error:
        fail(str(error))


def database_ready(settings: Settings) -> Any:
    """The configured database, refused (exit 1) unless its schema is this release's."""
    database = _database(settings)
    _ready(database)
    return database


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the schema, or bring it up to this release (ESCALON_DATABASE_URL)."""
    from escalon.database.migrate import current_revision, upgrade

    settings = get_settings()
    database = _database(settings)
    before = current_revision(database)
    upgrade(database)
    after = current_revision(database)
    word = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    Console(highlight=False).print(f"{_safe_url(database.url)}: {word} revision {after}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database and the one this release needs."""
    from escalon.database.migrate import current_revision, head_revision

    database = _database(get_settings())
    Console(highlight=False).print(
        f"database: {current_revision(database) or 'empty'}; this release: {head_revision()}"
    )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes (each with its own pool).")] = 1,
    embedded_worker: Annotated[
        bool,
        typer.Option(
            "--embedded-worker/--no-embedded-worker", help="Run timers and outbox in-process."
        ),
    ] = True,
) -> None:
    """Run the REST API (OpenAPI at /docs) with an embedded worker for the simple case."""
    import os

    import uvicorn

    from escalon import logs

    settings = _served_at(host, port)
    logs.configure(settings.log_level)
    _ready(_database(settings))
    load_keys(settings)
    os.environ["ESCALON_EMBEDDED_WORKER"] = "1" if embedded_worker else "0"
    _banner(listening_url(host, port), settings.public_url)
    # The server processes read their settings from the environment; with one worker that is
    # this process, whose settings were read before the address was known.
    os.environ["ESCALON_PUBLIC_URL"] = settings.public_url
    get_settings.cache_clear()
    uvicorn.run(
        "escalon.api.main:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        # Every server process logs through Escalon's handler: one line a record, no secrets.
        log_config=logs.config(settings.log_level),
        timeout_graceful_shutdown=30,
        # The client address is Escalon's to work out, from ESCALON_TRUSTED_PROXIES only:
        # uvicorn's own reading of X-Forwarded-For (trusting 127.0.0.1) would come first.
        proxy_headers=False,
    )


def listening_url(host: str, port: int) -> str:
    """Where a browser on this machine reaches a server listening on host:port."""
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _served_at(host: str, port: int) -> Settings:
    """This process's settings, the public address following --host/--port unless
    ESCALON_PUBLIC_URL names one."""
    settings = get_settings()
    if "public_url" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"public_url": listening_url(host, port)})


def _banner(base: str, public_url: str) -> None:
    """Where to go, as log records: a service's output is one record a line."""
    import logging

    log = logging.getLogger("escalon.serve")
    log.info("dashboard: %s/ui/sign-in", base)
    log.info("API docs: %s/docs and %s/redoc", base, base)
    log.info("customers' links: %s (ESCALON_PUBLIC_URL)", public_url)


def worker(
    timers: Annotated[bool, typer.Option("--timers/--no-timers", help="Fire due timers.")] = True,
    outbox: Annotated[
        bool, typer.Option("--outbox/--no-outbox", help="Deliver the outbox.")
    ] = True,
    topics: Annotated[
        bool,
        typer.Option(
            "--topics/--no-topics",
            help="Find the recurring topics among escalated cases, at most once a day.",
        ),
    ] = True,
    risk: Annotated[
        bool,
        typer.Option(
            "--risk/--no-risk",
            help="Fit the escalation-risk model on the history, at most once a day.",
        ),
    ] = True,
    batch: Annotated[int | None, typer.Option(help="Due cases per transaction.")] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Serve this worker's Prometheus metrics (timer firing lag) on this port.",
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="The address --metrics-port listens on (loopback by default).")
    ] = "127.0.0.1",
) -> None:
    """Fire due escalations, deliver notifications, find the day's recurring topics and fit the
    day's escalation-risk model until SIGTERM (then finish the batch)."""
    from escalon import logs
    from escalon.composition import build_services
    from escalon.worker.runner import Worker, run_until_signalled

    settings = get_settings()
    if batch is not None:
        settings = settings.model_copy(update={"worker_batch": batch})
    logs.configure(settings.log_level)
    database = database_ready(settings)
    load_keys(settings)
    services = build_services(settings, database=database)
    metrics = None
    if metrics_port is not None:
        from escalon.worker.runner import serve_metrics

        metrics = serve_metrics(metrics_host, metrics_port)
    running = Worker(
        services, timers=timers, outbox=outbox, topics=topics, metrics=metrics, risk_model=risk
    )

    def install(handler: Any) -> None:
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    import logging

    logging.getLogger("escalon.worker").info(
        "worker started on %s (timers: %s, outbox: %s, topics: %s, risk: %s, batch %d)",
        _safe_url(database.url),
        timers,
        outbox,
        topics,
        risk,
        settings.worker_batch,
    )
    run_until_signalled(running, install)
    logging.getLogger("escalon.worker").info(
        "worker stopped: %d escalation(s) fired, %d message(s) delivered",
        running.fired,
        running.delivered,
    )


def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database_url: Annotated[
        str, typer.Option("--database", help="Where the demo lives.")
    ] = DEMO_DATABASE,
    fresh: Annotated[bool, typer.Option(help="Start from an empty database.")] = False,
    seed_only: Annotated[bool, typer.Option(help="Seed and print, but do not serve.")] = False,
) -> None:
    """Seed a demo workspace (SQLite by default) and serve it at http://HOST:PORT."""
    import os

    from escalon import demo as demo_workspace
    from escalon import logs
    from escalon.clock import SystemClock
    from escalon.composition import open_database
    from escalon.database import Database
    from escalon.database.migrate import upgrade
    from escalon.triage.lazy import LazyAnalyzer

    if fresh and database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ["ESCALON_DATABASE_URL"] = database_url
    get_settings.cache_clear()
    settings = _served_at(host, port)
    if fresh and database_url.startswith("sqlite:///") and settings.training_dir is None:
        # The practice sandboxes beside the database went with it.
        from escalon.training.sandbox import training_dir

        shutil.rmtree(training_dir(settings), ignore_errors=True)
    logs.configure(settings.log_level)
    load_keys(settings)
    # The seeded cases' messages carry links to where this demo is served.
    database = open_database(settings, Database(database_url))
    upgrade(database)
    workspace = demo_workspace.ensure(
        database, clock=SystemClock(), analyzer=LazyAnalyzer.from_settings(settings)
    )
    database.dispose()
    base = listening_url(host, port)
    out = Console(highlight=False, soft_wrap=True)
    out.print(
        f"[bold]Escalon demo[/bold] on {_safe_url(database_url)}: {workspace.cases} cases"
        + (" (just seeded)" if workspace.seeded else "")
    )
    out.print(f"  dashboard:          {base}/ui/sign-in  (sign in with a token below)")
    out.print(f"  API and its docs:   {base}/docs")
    out.print(f"  customers' links:   {settings.public_url}  (ESCALON_PUBLIC_URL)")
    out.print("  (each run mints new tokens, valid for a day)")
    out.print(f"  admin token:        {workspace.admin_token}")
    out.print(f"  supervisor (sara):  {workspace.supervisor_token}")
    out.print(f"  agent (ana):        {workspace.agent_token}")
    out.print(f"  manager (mia):      {workspace.manager_token}")
    out.print(
        f"  This start opened {workspace.timed} cases that escalate within minutes (every start"
        " does): three critical ones breach their first response, one escalation nobody"
        " acknowledges climbs. Watch them:"
    )
    out.print(
        f"    curl -s -H 'Authorization: Bearer {workspace.admin_token}' "
        f"'{base}/api/v1/cases?escalated=true&sort=due'"
    )
    out.print(f"    curl -s -H 'Authorization: Bearer {workspace.admin_token}' {base}/api/v1/kpis")
    if seed_only:
        return
    serve(host=host, port=port, workers=1, embedded_worker=True)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The user's name.")],
    role: Annotated[str, typer.Option(help="admin, supervisor, agent or integration.")],
    email: Annotated[str | None, typer.Option(help="Their e-mail address.")] = None,
    agent: Annotated[str | None, typer.Option(help="The agent handle they act as.")] = None,
    display_name: Annotated[str, typer.Option(help="How to show them.")] = "",
) -> None:
    """Add a user (then give them a token with `escalon tokens create`)."""
    from escalon.auth import service as auth
    from escalon.clock import SystemClock

    database = database_ready(get_settings())
    with ending_on_refusal(), database.write() as session:
        user = auth.create_user(
            session,
            username=username,
            role=role,
            now=SystemClock().now_us(),
            email=email,
            agent=agent,
            display_name=display_name,
        )
        audit(session, "user.created", f"user:{user.username}", {"role": role, "agent": agent})
        Console(highlight=False).print(f"user {user.username} ({user.role}) created")


@tokens_app.command("create")
def tokens_create(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "",
    expires_in_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=3650,
            help="Expire after this many days (default ESCALON_TOKEN_LIFETIME_DAYS).",
        ),
    ] = None,
    never_expires: Annotated[
        bool, typer.Option("--never-expires", help="A token that never expires (use sparingly).")
    ] = False,
) -> None:
    """Create an API token and print it (it is shown this once)."""
    from escalon.auth import service as auth
    from escalon.clock import SystemClock

    settings = get_settings()
    database = database_ready(settings)
    now = SystemClock().now_us()
    with ending_on_refusal():
        expires = auth.token_expiry(
            now=now,
            lifetime_days=expires_in_days,
            never_expires=never_expires,
            default_days=settings.token_lifetime_days,
            minted_by=None,
        )
        with database.write() as session:
            user = auth.user_by_name(session, username)
            record, token = auth.create_token(
                session, user=user, now=now, name=name, expires_at=expires
            )
            audit(
                session,
                "token.created",
                f"token:{record.id}",
                {"user": user.username, "name": name, "expires_at": expires},
            )
    print(token)


@tokens_app.command("list")
def tokens_list(
    username: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
    all_tokens: Annotated[
        bool, typer.Option("--all", help="Revoked and expired tokens too.")
    ] = False,
) -> None:
    """List API tokens (never their secrets): id, user, name, prefix, expiry, last use."""
    from sqlalchemy import or_, select

    from escalon.auth import service as auth
    from escalon.auth.models import ApiToken, User
    from escalon.clock import SystemClock

    database = database_ready(get_settings())
    now = SystemClock().now_us()
    out = Console(highlight=False, soft_wrap=True)
    with ending_on_refusal(), database.read() as session:
        query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
        if username is not None:
            query = query.where(ApiToken.user_id == auth.user_by_name(session, username).id)
        if not all_tokens:
            query = query.where(
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
        rows = session.execute(query.order_by(ApiToken.id)).all()
    for token, owner in rows:
        state = "revoked" if token.revoked_at is not None else "live"
        if token.revoked_at is None and token.expires_at is not None and token.expires_at <= now:
            state = "expired"
        out.print(
            f"{token.id}\t{owner}\t{token.prefix}…\t{token.name or '-'}\t{state}\t"
            f"expires {_when(token.expires_at) or 'never'}\tlast used {_when(token.last_used_at) or '-'}"
        )


def _when(us: int | None) -> str | None:
    """An instant for a person at a terminal (UTC, to the minute)."""
    if us is None:
        return None
    from escalon.core.state import from_us

    return from_us(us).strftime("%Y-%m-%d %H:%M UTC")


@users_app.command("list")
def users_list() -> None:
    """List users: name, role, agent, and whether they are enabled."""
    from sqlalchemy import select

    from escalon.auth.models import User
    from escalon.people.models import Agent

    database = database_ready(get_settings())
    out = Console(highlight=False, soft_wrap=True)
    with database.read() as session:
        rows = session.execute(
            select(User.username, User.role, Agent.handle, User.active)
            .outerjoin(Agent, Agent.id == User.agent_id)
            .order_by(User.username)
        ).all()
    for name, role, agent, active in rows:
        out.print(f"{name}\t{role}\t{agent or '-'}\t{'enabled' if active else 'disabled'}")


@users_app.command("set")
def users_set(
    username: Annotated[str, typer.Argument(help="The user's name.")],
    role: Annotated[
        str | None, typer.Option(help="A new role: admin, supervisor, agent or integration.")
    ] = None,
    enable: Annotated[
        bool | None,
        typer.Option("--enable/--disable", help="Enable or disable the user.", show_default=False),
    ] = None,
    review_mail: Annotated[
        bool | None,
        typer.Option(
            "--review-mail/--no-review-mail",
            help="Mail them the weekly escalation review (supervisors and admins), or stop.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Change a user's role, or disable/enable them. A new role or disabling revokes every token
    and ends every dashboard session they hold."""
    from escalon.auth import service as auth
    from escalon.clock import SystemClock

    if role is None and enable is None and review_mail is None:
        fail("say what to change: --role ROLE, --disable, --enable or --[no-]review-mail")
    database = database_ready(get_settings())
    now = SystemClock().now_us()
    if review_mail is not None:
        _set_review_mail(database, username, review_mail, now=now)
        if role is None and enable is None:
            return
    with ending_on_refusal(), database.write() as session:
        change = auth.update_user(session, username=username, now=now, role=role, active=enable)
        target = f"user:{change.user.username}"
        ended = {
            "tokens_revoked": change.revoked_tokens,
            "sessions_ended": change.ended_sessions,
        }
        if change.role_from is not None:
            audit(
                session,
                "user.updated",
                target,
                {"role": {"from": change.role_from, "to": change.user.role}, **ended},
            )
        if change.disabled:
            audit(session, "user.disabled", target, ended)
        if change.enabled:
            audit(session, "user.enabled", target)
        reason = "user disabled" if change.disabled else "role changed"
        for token_id in change.revoked_tokens:
            audit(
                session,
                "token.revoked",
                f"token:{token_id}",
                {"user": change.user.username, "reason": reason},
            )
    out = Console(highlight=False, soft_wrap=True)
    if not change.changed:
        out.print(f"user {username}: nothing to change")
        return
    state = "enabled" if change.user.active else "disabled"
    out.print(
        f"user {username}: {change.user.role}, {state}; {len(change.revoked_tokens)} token(s) "
        f"revoked, {change.ended_sessions} session(s) ended"
    )


def _set_review_mail(database: Any, username: str, wanted: bool, *, now: int) -> None:
    """Opt a user in to the weekly review mail, or out; audited, and said."""
    from escalon.auth import service as auth
    from escalon.config import get_settings
    from escalon.learning import review_mail

    with ending_on_refusal(), database.write() as session:
        user = auth.user_by_name(session, username)
        manager = user.role in review_mail.MANAGERS
        review_mail.set_subscribed(session, user_id=user.id, subscribed=wanted, now=now)
        audit(session, "user.review_mail", f"user:{username}", {"subscribed": wanted})
        mail = review_mail.subscription(session, user_id=user.id, settings=get_settings())
    out = Console(highlight=False, soft_wrap=True)
    if not wanted:
        out.print(f"user {username}: no weekly review mail")
    elif not manager:
        out.print(f"user {username}: opted in, but only supervisors and admins get the review")
    elif mail.address is None:
        out.print(f"user {username}: opted in, but has no e-mail address")
    else:
        out.print(f"user {username}: the weekly review goes to {mail.address} on {mail.schedule}")


@users_app.command("sessions")
def users_sessions(
    username: Annotated[str | None, typer.Argument(help="Only this user's sessions.")] = None,
    end: Annotated[int | None, typer.Option(help="End the session with this id.", min=1)] = None,
    end_all: Annotated[
        bool, typer.Option("--end-all", help="End every live session of USERNAME.")
    ] = False,
) -> None:
    """List live dashboard sessions, or end one (--end ID) or all of a user's (--end-all)."""
    from escalon.auth import service as auth
    from escalon.auth import sessions
    from escalon.clock import SystemClock

    settings = get_settings()
    database = database_ready(settings)
    now = SystemClock().now_us()
    out = Console(highlight=False, soft_wrap=True)
    if end_all and username is None:
        fail("--end-all needs a USERNAME")
    with ending_on_refusal():
        if end is not None or end_all:
            with database.write() as session:
                if end is not None:
                    row = sessions.end(session, session_id=end, now=now, reason="ended_by_admin")
                    audit(session, "session.ended", f"session:{row.id}")
                    out.print(f"session {row.id} ended")
                    return
                user = auth.user_by_name(session, str(username))
                count = sessions.end_for_user(
                    session, user_id=user.id, now=now, reason="ended_by_admin"
                )
                audit(session, "session.ended", f"user:{user.username}", {"sessions": count})
                out.print(f"{count} session(s) of {user.username} ended")
                return
        idle = round(settings.session_idle_minutes * 60 * 1_000_000)
        with database.read() as session:
            user_id = None if username is None else auth.user_by_name(session, username).id
            rows = sessions.listed(session, now=now, idle_us=idle, user_id=user_id)
    for row, owner in rows:
        out.print(
            f"{row.id}\t{owner}\ttoken {row.token_id}\tsince {_when(row.created_at)}\t"
            f"last seen {_when(row.last_seen_at)}\tuntil {_when(row.expires_at)}"
        )


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[int, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token (and end the dashboard sessions opened with it)."""
    from escalon.auth import service as auth
    from escalon.auth.models import ApiToken
    from escalon.clock import SystemClock

    database = database_ready(get_settings())
    with ending_on_refusal(), database.write() as session:
        found = session.get(ApiToken, token_id)
        was_live = found is not None and found.revoked_at is None
        auth.revoke_token(session, token_id=token_id, now=SystemClock().now_us())
        if was_live:
            audit(session, "token.revoked", f"token:{token_id}")
    Console(highlight=False).print(f"token {token_id} revoked")


@cases_app.command("migrate")
def cases_migrate(
    to: Annotated[int, typer.Option("--to", help="The policy version id to move cases to.")],
    from_version: Annotated[
        int | None, typer.Option("--from", help="Only cases under this version.")
    ] = None,
) -> None:
    """Move every open case (of one version, or all) to another policy version."""
    from sqlalchemy import select

    from escalon.cases import acting, policy_migration
    from escalon.cases.models import Case
    from escalon.clock import SystemClock
    from escalon.errors import EscalonError

    database = database_ready(get_settings())
    with database.read() as session:
        query = select(Case.id).where(
            Case.status.in_(("open", "pending_customer", "pending_third_party", "on_hold")),
            Case.policy_version_id != to,
        )
        if from_version is not None:
            query = query.where(Case.policy_version_id == from_version)
        case_ids = list(session.scalars(query.order_by(Case.id)))
    actor = acting.Actor(None, "operator", "admin")
    moved, refused = 0, []
    for case_id in case_ids:
        try:
            with database.write() as session:
                policy_migration.migrate_case(
                    session,
                    case_id=case_id,
                    policy_version_id=to,
                    actor=actor,
                    now=SystemClock().now_us(),
                    if_match=None,
                )
            moved += 1
        except EscalonError as error:
            refused.append(f"case {case_id}: {error.message}")
    out = Console(highlight=False)
    out.print(f"{moved} case(s) moved to policy version {to}")
    for line in refused:
        out.print(f"[yellow]kept[/yellow] {line}")
