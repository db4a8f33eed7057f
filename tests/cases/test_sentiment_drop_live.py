"""`customer.sentiment_drop` in the live service: the detector reads each message through the API
and the case, stored between requests, remembers the previous sentiment."""

from __future__ import annotations

from escalon.demo import policy_text
from escalon.policies import service as policies
from tests.builders.workspace import Workspace

SOUR = """
  - name: mood turns sour
    trigger: customer.sentiment_drop
    by: 1
    do:
      - escalate: {up: 1}
"""


def test_a_message_much_gloomier_than_the_last_escalates(workspace: Workspace) -> None:
    now = workspace.clock.now_us()
    with workspace.database.write() as session:
        version, _ = policies.upload(
            session,
            text=policy_text().replace("\nversion: 1\n", "\nversion: 2\n") + SOUR,
            filename="sour.yaml",
            user_id=None,
            now=now,
        )
        policies.activate(session, version_id=version.id, user_id=None, now=now)
    headers = workspace.headers("integration")
    opened = workspace.client.post(
        "/api/v1/cases",
        json={
            "customer": {"ref": "K-1", "name": "Kim", "email": "kim@example.org"},
            "subject": "Thanks",
            "body": "Thank you so much, the new plan is great and I love it.",
            "channel": "email",
        },
        headers=headers,
    )
    assert opened.status_code == 201, opened.text
    case = opened.json()["id"]
    # Still mild enough for the example policy's own `sentiment_below: -0.6` rule.
    posted = workspace.client.post(
        f"/api/v1/cases/{case}/messages",
        json={"author": "customer", "body": "Still waiting."},
        headers=headers,
    )
    assert posted.status_code == 201, posted.text
    escalations = workspace.client.get(
        f"/api/v1/cases/{case}/escalations", headers=workspace.headers()
    ).json()
    assert [(e["rule"], e["trigger"], e["to_level"]) for e in escalations] == [
        ("mood turns sour", "customer.sentiment_drop", "supervisor")
    ]
