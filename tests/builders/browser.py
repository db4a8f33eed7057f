"""What the browser tests do in a page: open a case through the API, sign in, and take a
screenshot that also checks every visible control has a label."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, ViewportSize, expect

from tests.support.browser import Server

LAPTOP = ViewportSize(width=1280, height=800)
# Controls a person must be able to name: every visible one needs a label (or aria-label).
UNLABELLED = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button'))
  .filter(el => el.offsetParent !== null)
  .filter(el => {
    if (el.tagName === 'BUTTON') { return !(el.textContent.trim() || el.getAttribute('aria-label')); }
    return !((el.labels && el.labels.length) || el.getAttribute('aria-label'));
  })
  .map(el => el.outerHTML.slice(0, 120))"""


def open_case(server: Server, **fields: Any) -> int:
    """A new case from the API, as an integration would send it."""
    body = {
        "customer": {"ref": "K-7", "name": "Kim Park", "email": "kim@example.org"},
        "subject": "Charged twice for my order",
        "body": "My card was charged twice. Please fix it today.",
        "channel": "email",
        **fields,
    }
    response = httpx.post(
        f"{server.url}/api/v1/cases",
        json=body,
        headers={"Authorization": f"Bearer {server.tokens['integration']}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def shoot(page: Page, folder: Path, name: str) -> None:
    """A full-page screenshot at the page's current size, and the checks every page must pass."""
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert page.evaluate(UNLABELLED) == [], f"unlabelled controls on {name}"


def sign_in(page: Page, server: Server, token: str) -> None:
    """Sign in through the form at /ui with an API token; the queue shows."""
    page.goto(f"{server.url}/ui")
    expect(page).to_have_url(re.compile(r"/ui/sign-in$"))
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/ui/queue$"))
