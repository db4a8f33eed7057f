"""`escalon orgs`: organisations added, listed, changed, placed and refused from the command line."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from escalon.cases import customers
from escalon.cases.models import Customer
from escalon.cases.schemas import CustomerIn
from escalon.cli import app
from escalon.database import Database
from escalon.organisations.models import Organisation

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["orgs", *args])
    return result.exit_code, result.output


def test_an_organisation_is_added_shown_changed_and_removed(migrated_url: str) -> None:
    code, output = run(
        "add",
        "Tokyo Trading",
        *("--timezone", "Asia/Tokyo"),
        *("--tier", "enterprise"),
        *("--hours", "mon-fri 09:00-12:00,13:00-18:00"),
        *("--holiday", "2027-01-11"),
        *("--domain", "tokyo-trading.example"),
    )
    assert code == 0, output
    code, output = run("show", "Tokyo Trading")
    assert code == 0, output
    assert "Asia/Tokyo" in output
    assert "fri: 09:00-12:00, 13:00-18:00" in output
    assert "sat: closed" in output
    assert "2027-01-11" in output
    code, output = run("set", "Tokyo Trading", "--tier", "gold", "--no-holidays")
    assert code == 0, output
    assert "holidays, tier" in output
    code, output = run("list")
    assert "Tokyo Trading" in output
    assert "gold" in output
    assert run("remove", "Tokyo Trading")[0] == 0
    assert "Tokyo Trading" not in run("list")[1]


def test_a_bad_zone_or_hours_are_refused_naming_the_option(migrated_url: str) -> None:
    code, output = run("add", "X", "--timezone", "Mars/Base")
    assert code == 1
    assert "--timezone" in output
    code, output = run("add", "X", "--timezone", "UTC", "--hours", "someday 09:00-17:00")
    assert code == 2
    assert "--hours" in output
    code, output = run("add", "X", "--timezone", "UTC", "--domain", "not a domain")
    assert code == 1
    assert "--domain[0]" in output
    assert "X" not in run("list")[1].split("\n", 2)[-1]


def test_a_customer_is_placed_in_an_organisation(migrated_url: str) -> None:
    assert run("add", "Tokyo Trading", "--timezone", "Asia/Tokyo")[0] == 0
    code, output = run("place", "nobody", "Tokyo Trading")
    assert code == 1
    assert "customer 'nobody' does not exist" in output
    database = Database(migrated_url)
    with database.write() as session:
        customers.find_or_create(session, data=CustomerIn(ref="kim"), now=0)
    code, output = run("place", "kim", "Tokyo Trading")
    assert code == 0, output
    with database.read() as session:
        placed = session.scalar(
            select(Organisation.name)
            .join(Customer, Customer.organisation_id == Organisation.id)
            .where(Customer.ref == "kim")
        )
    database.dispose()
    assert placed == "Tokyo Trading"
