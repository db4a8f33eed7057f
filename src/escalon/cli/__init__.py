"""The `escalon` command line."""

from __future__ import annotations

import typer

from escalon.cli import audit as audit_cli
from escalon.cli import backup as backup_cli
from escalon.cli import calendar as calendar_cli
from escalon.cli import forecast as forecast_cli
from escalon.cli import importers as importers_cli
from escalon.cli import kb as kb_cli
from escalon.cli import keys as keys_cli
from escalon.cli import mail as mail_cli
from escalon.cli import orgs as orgs_cli
from escalon.cli import people as people_cli
from escalon.cli import policy as policy_cli
from escalon.cli import replay as replay_cli
from escalon.cli import review as review_cli
from escalon.cli import risk as risk_cli
from escalon.cli import service as service_cli
from escalon.cli import topics as topics_cli
from escalon.cli import training as training_cli
from escalon.cli import triage as triage_cli

app = typer.Typer(
    name="escalon",
    help="Escalon: escalation management for customer support teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(calendar_cli.app, name="calendar")
app.add_typer(policy_cli.app, name="policy")
app.command("replay")(replay_cli.replay)
app.add_typer(importers_cli.app, name="import")
app.add_typer(triage_cli.app, name="triage")
app.command("topics")(topics_cli.topics)
app.add_typer(kb_cli.app, name="kb")
app.command("review")(review_cli.review)
app.add_typer(forecast_cli.app, name="forecast")
app.add_typer(risk_cli.app, name="risk")
app.add_typer(training_cli.app, name="training")
app.command("serve")(service_cli.serve)
app.command("worker")(service_cli.worker)
app.command("demo")(service_cli.demo)
app.command("mail-in")(mail_cli.mail_in)
app.command("mail-poll")(mail_cli.mail_poll)
app.add_typer(mail_cli.app, name="mail")
app.add_typer(service_cli.db_app, name="db")
app.add_typer(service_cli.users_app, name="users")
app.add_typer(service_cli.tokens_app, name="tokens")
app.add_typer(keys_cli.app, name="keys")
app.add_typer(service_cli.cases_app, name="cases")
app.add_typer(people_cli.teams_app, name="teams")
app.add_typer(people_cli.agents_app, name="agents")
app.add_typer(orgs_cli.app, name="orgs")
app.add_typer(audit_cli.app, name="audit")
app.command("backup")(backup_cli.backup)
app.command("restore")(backup_cli.restore)


def main() -> None:
    """Run the `escalon` command line."""
    app()
