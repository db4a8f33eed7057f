"""Writes examples/events.jsonl: two weeks of a support team's cases, for the README's demo.

The cases are written by hand as small scripts; this program only turns them into time-ordered
JSON Lines. Run it again after editing a story:  python examples/make_events.py
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
HERE = Path(__file__).resolve().parent

# Each story: the case, its opening fields, then (local time, event type, fields) in order.
Story = tuple[str, dict[str, object], list[tuple[str, str, dict[str, object]]]]

STORIES: list[Story] = [
    (
        "C-1001",
        {
            "at": "2026-11-30 08:12",
            "customer": "northwind",
            "tier": "enterprise",
            "channel": "email",
            "category": "technical",
            "impact": "medium",
            "urgency": "medium",
            "subject": "Export job fails every night",
            "body": "Since the update on Friday our nightly export stops with error 502. Logs attached.",
        },
        [
            (
                "2026-11-30 09:20",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "Thanks, we can reproduce the 502 and are looking into it.",
                },
            ),
            (
                "2026-11-30 11:05",
                "customer.message",
                {"body": "Any idea when it will be fixed? We need the export for month end."},
            ),
            (
                "2026-11-30 12:30",
                "agent.message",
                {"agent": "lena", "body": "A fix is being tested; I will update you by 16:00."},
            ),
            (
                "2026-11-30 15:40",
                "agent.message",
                {"agent": "lena", "body": "The fix is live. Could you run the export again?"},
            ),
            ("2026-11-30 15:41", "status.changed", {"status": "pending_customer"}),
            (
                "2026-12-01 09:10",
                "customer.message",
                {"body": "Export ran fine last night, thank you!"},
            ),
            ("2026-12-01 09:30", "status.changed", {"status": "resolved"}),
            ("2026-12-01 14:00", "survey.answered", {"score": 5, "comment": "Quick and clear."}),
        ],
    ),
    (
        "C-1002",
        {
            "at": "2026-11-30 09:02",
            "customer": "p.moreau",
            "tier": "standard",
            "channel": "chat",
            "category": "account",
            "subject": "Password reset",
            "body": "The reset link says it has expired.",
        },
        [
            (
                "2026-11-30 09:15",
                "agent.message",
                {"agent": "tom", "body": "I have sent you a new link, valid for one hour."},
            ),
            ("2026-11-30 09:25", "customer.message", {"body": "Worked, thanks."}),
            ("2026-11-30 09:26", "status.changed", {"status": "resolved"}),
            ("2026-11-30 12:00", "survey.answered", {"score": 5}),
        ],
    ),
    (
        "C-1003",
        {
            "at": "2026-11-30 10:47",
            "customer": "j.alvarez",
            "tier": "standard",
            "channel": "social",
            "category": "shipping",
            "subject": "Public post",
            "body": "Three weeks and still no parcel. Worst service ever, nobody answers. Absolutely furious.",
        },
        [
            ("2026-11-30 11:05", "escalation.acknowledged", {"agent": "sara"}),
            (
                "2026-11-30 11:10",
                "agent.message",
                {
                    "agent": "sara",
                    "body": "I am sorry. I have asked the carrier for a trace and will update you today.",
                },
            ),
            (
                "2026-11-30 15:30",
                "agent.message",
                {
                    "agent": "sara",
                    "body": "The parcel was lost; a replacement ships tomorrow with express delivery.",
                },
            ),
            (
                "2026-11-30 16:02",
                "customer.message",
                {"body": "Ok. Thanks for actually answering."},
            ),
            ("2026-11-30 16:10", "status.changed", {"status": "resolved"}),
            (
                "2026-12-02 10:00",
                "survey.answered",
                {"score": 3, "comment": "Good in the end, bad start."},
            ),
        ],
    ),
    (
        "C-1004",
        {
            "at": "2026-11-30 13:20",
            "customer": "brightlabs",
            "tier": "standard",
            "channel": "web",
            "category": "refund",
            "subject": "Refund for unused licences",
            "body": "We bought 20 licences by mistake instead of 2. Please refund the difference.",
        },
        [
            (
                "2026-11-30 14:30",
                "agent.message",
                {
                    "agent": "omar",
                    "body": "I can see the order; let me check the refund with our finance team.",
                },
            ),
            (
                "2026-11-30 14:35",
                "approval.requested",
                {"agent": "omar", "kind": "refund", "amount": 1620},
            ),
            ("2026-11-30 14:50", "escalation.acknowledged", {"agent": "ines"}),
            (
                "2026-12-01 10:00",
                "agent.message",
                {"agent": "ines", "body": "The refund of 1,620 EUR has been approved and issued."},
            ),
            ("2026-12-01 10:05", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1005",
        {
            "at": "2026-11-30 16:55",
            "customer": "k.nowak",
            "tier": "standard",
            "channel": "email",
            "category": "technical",
            "subject": "App crashes on start",
            "body": "The Android app closes right after the splash screen.",
        },
        [
            (
                "2026-12-01 10:30",
                "agent.message",
                {"agent": "tom", "body": "Could you tell us your Android version and app version?"},
            ),
            ("2026-12-01 10:31", "status.changed", {"status": "pending_customer"}),
            (
                "2026-12-03 18:20",
                "customer.message",
                {"body": "Android 14, app 5.2.1. Sorry for the delay."},
            ),
            (
                "2026-12-04 09:40",
                "agent.message",
                {
                    "agent": "tom",
                    "body": "Thanks. Version 5.2.2 fixes this crash; it is in the store now.",
                },
            ),
            ("2026-12-04 09:41", "status.changed", {"status": "resolved"}),
            ("2026-12-04 12:00", "survey.answered", {"score": 4}),
        ],
    ),
    (
        "C-1006",
        {
            "at": "2026-12-01 08:05",
            "customer": "contoso",
            "tier": "enterprise",
            "channel": "phone",
            "category": "technical",
            "impact": "high",
            "urgency": "high",
            "subject": "Checkout down for all our shops",
            "body": "Phone note: customer reports that payments fail in every shop since 07:50.",
        },
        [
            (
                "2026-12-01 08:12",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "We are treating this as an incident; engineers are on it.",
                },
            ),
            (
                "2026-12-01 08:20",
                "case.escalated",
                {"agent": "lena", "to": "specialist", "reason": "payment gateway incident"},
            ),
            ("2026-12-01 08:26", "escalation.acknowledged", {"agent": "dev-anna"}),
            (
                "2026-12-01 09:05",
                "agent.message",
                {
                    "agent": "dev-anna",
                    "body": "Cause found at the payment provider; a workaround is being deployed.",
                },
            ),
            (
                "2026-12-01 09:50",
                "agent.message",
                {
                    "agent": "dev-anna",
                    "body": "Workaround live, payments succeed again. We keep monitoring.",
                },
            ),
            (
                "2026-12-01 10:40",
                "customer.message",
                {"body": "Confirmed, orders are coming in. Thank you."},
            ),
            ("2026-12-01 11:00", "status.changed", {"status": "resolved"}),
            ("2026-12-02 09:00", "survey.answered", {"score": 4, "comment": "Fast reaction."}),
        ],
    ),
    (
        "C-1007",
        {
            "at": "2026-12-01 09:40",
            "customer": "r.schulz",
            "tier": "standard",
            "channel": "chat",
            "category": "billing",
            "subject": "Chat",
            "body": "Why is my bill higher this month?",
        },
        [
            (
                "2026-12-01 09:45",
                "customer.message",
                {"body": "Hello? Can I talk to a real person instead of this bot?"},
            ),
            ("2026-12-01 09:58", "escalation.acknowledged", {"agent": "ines"}),
            (
                "2026-12-01 10:02",
                "agent.message",
                {
                    "agent": "ines",
                    "body": "Hi, I am Ines from billing. The increase is the yearly price adjustment we announced in October.",
                },
            ),
            ("2026-12-01 10:10", "customer.message", {"body": "I see, thanks for explaining."}),
            ("2026-12-01 10:12", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1008",
        {
            "at": "2026-12-01 11:30",
            "customer": "m.okafor",
            "tier": "standard",
            "channel": "email",
            "category": "technical",
            "subject": "Sync stopped",
            "body": "Calendar sync stopped working yesterday.",
        },
        [
            (
                "2026-12-01 13:00",
                "agent.message",
                {
                    "agent": "tom",
                    "body": "Please sign out and in again; that renews the sync token.",
                },
            ),
            ("2026-12-01 13:01", "status.changed", {"status": "resolved"}),
            (
                "2026-12-02 08:45",
                "customer.message",
                {"body": "It worked for a day and now it has stopped again."},
            ),
            (
                "2026-12-02 10:00",
                "agent.message",
                {
                    "agent": "tom",
                    "body": "Thanks; we reset your sync on our side. It should hold now.",
                },
            ),
            ("2026-12-02 10:01", "status.changed", {"status": "resolved"}),
            (
                "2026-12-03 09:15",
                "customer.message",
                {"body": "Stopped again. This is the third time I write about the same problem."},
            ),
            ("2026-12-03 09:40", "escalation.acknowledged", {"agent": "dev-anna"}),
            (
                "2026-12-03 11:20",
                "agent.message",
                {
                    "agent": "dev-anna",
                    "body": "We found a bug in token renewal for your account type and fixed it.",
                },
            ),
            ("2026-12-03 11:21", "status.changed", {"status": "resolved"}),
            ("2026-12-04 10:00", "survey.answered", {"score": 2, "comment": "Took three tries."}),
        ],
    ),
    (
        "C-1009",
        {
            "at": "2026-12-01 14:10",
            "customer": "fabrikam",
            "tier": "enterprise",
            "channel": "api",
            "category": "technical",
            "subject": "Webhook deliveries delayed",
            "body": "Webhook deliveries arrive 20 minutes late since this morning.",
        },
        [
            (
                "2026-12-01 15:25",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "We see a backlog in the delivery queue and are draining it.",
                },
            ),
            ("2026-12-01 15:35", "escalation.acknowledged", {"agent": "sup-mark"}),
            ("2026-12-01 17:30", "customer.message", {"body": "Still 10 minutes late."}),
            (
                "2026-12-02 09:10",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "The queue is back to normal since 08:30; please confirm on your side.",
                },
            ),
            ("2026-12-02 09:11", "status.changed", {"status": "pending_customer"}),
            ("2026-12-02 13:00", "customer.message", {"body": "Confirmed, all good."}),
            ("2026-12-02 13:05", "status.changed", {"status": "closed"}),
        ],
    ),
    (
        "C-1010",
        {
            "at": "2026-12-02 09:05",
            "customer": "a.rossi",
            "tier": "standard",
            "channel": "email",
            "category": "billing",
            "subject": "Invoice address",
            "body": "Please change the address on my invoices to Via Roma 12, Milano.",
        },
        [
            (
                "2026-12-02 11:00",
                "agent.message",
                {"agent": "ines", "body": "Done: future invoices carry the new address."},
            ),
            ("2026-12-02 11:01", "status.changed", {"status": "resolved"}),
            ("2026-12-02 15:00", "survey.answered", {"score": 5}),
        ],
    ),
    (
        "C-1011",
        {
            "at": "2026-12-02 10:20",
            "customer": "l.brandt",
            "tier": "standard",
            "channel": "web",
            "category": "technical",
            "subject": "Cannot upload files",
            "body": "Uploads above 10 MB fail.",
        },
        [
            ("2026-12-02 14:35", "escalation.acknowledged", {"agent": "sup-mark"}),
            (
                "2026-12-02 16:45",
                "agent.message",
                {
                    "agent": "tom",
                    "body": "Uploads are limited to 10 MB on the basic plan; larger files need the team plan.",
                },
            ),
            (
                "2026-12-02 16:50",
                "customer.message",
                {
                    "body": "That is ridiculous, nobody told me that when I paid. I am very disappointed and angry."
                },
            ),
            ("2026-12-02 17:10", "escalation.acknowledged", {"agent": "sara"}),
            (
                "2026-12-03 09:30",
                "agent.message",
                {
                    "agent": "sara",
                    "body": "You are right that it was not clear. We have raised your limit to 50 MB at no cost.",
                },
            ),
            ("2026-12-03 09:31", "status.changed", {"status": "resolved"}),
            ("2026-12-03 12:00", "survey.answered", {"score": 4}),
        ],
    ),
    (
        "C-1012",
        {
            "at": "2026-12-02 13:00",
            "customer": "tailspin",
            "tier": "enterprise",
            "channel": "email",
            "category": "refund",
            "subject": "Credit for downtime",
            "body": "Per our contract we claim a service credit for yesterday's outage.",
        },
        [
            (
                "2026-12-02 13:40",
                "agent.message",
                {
                    "agent": "omar",
                    "body": "We have received your claim and are calculating the credit.",
                },
            ),
            (
                "2026-12-02 14:00",
                "approval.requested",
                {"agent": "omar", "kind": "refund", "amount": 7200},
            ),
            (
                "2026-12-02 16:00",
                "agent.message",
                {
                    "agent": "omar",
                    "body": "The claim is with our management for approval; you will hear from us tomorrow.",
                },
            ),
            ("2026-12-03 10:00", "escalation.acknowledged", {"agent": "mgmt-eva"}),
            (
                "2026-12-03 11:30",
                "agent.message",
                {
                    "agent": "mgmt-eva",
                    "body": "The credit of 7,200 EUR is approved and will appear on your next invoice.",
                },
            ),
            ("2026-12-03 11:31", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1013",
        {
            "at": "2026-12-02 15:30",
            "customer": "d.chen",
            "tier": "standard",
            "channel": "chat",
            "category": "account",
            "subject": "Chat",
            "body": "How do I add a second user to my account?",
        },
        [
            (
                "2026-12-02 15:34",
                "agent.message",
                {"agent": "tom", "body": "Under Settings > Team you can invite users by email."},
            ),
            ("2026-12-02 15:36", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1014",
        {
            "at": "2026-12-03 08:30",
            "customer": "h.jensen",
            "tier": "standard",
            "channel": "email",
            "category": "shipping",
            "subject": "Wrong item delivered",
            "body": "I ordered the blue model and received the black one.",
        },
        [
            (
                "2026-12-03 09:50",
                "agent.message",
                {"agent": "sara", "body": "Sorry about that! A return label is on its way to you."},
            ),
            ("2026-12-03 09:51", "status.changed", {"status": "pending_customer"}),
            ("2026-12-08 10:00", "customer.message", {"body": "I sent it back yesterday."}),
            (
                "2026-12-08 11:00",
                "agent.message",
                {"agent": "sara", "body": "Thanks, the blue model ships today."},
            ),
            ("2026-12-08 11:01", "status.changed", {"status": "resolved"}),
            ("2026-12-09 09:00", "survey.answered", {"score": 4}),
        ],
    ),
    (
        "C-1015",
        {
            "at": "2026-12-03 10:15",
            "customer": "s.petrov",
            "tier": "standard",
            "channel": "phone",
            "category": "billing",
            "subject": "Phone note",
            "body": "Customer says he was charged twice for the same order and wants the money back.",
        },
        [
            (
                "2026-12-03 10:20",
                "agent.message",
                {
                    "agent": "ines",
                    "body": "I can confirm the double charge; the second payment will be refunded.",
                },
            ),
            (
                "2026-12-03 10:22",
                "approval.requested",
                {"agent": "ines", "kind": "refund", "amount": 39},
            ),
            ("2026-12-03 10:25", "status.changed", {"status": "resolved"}),
            ("2026-12-04 09:00", "survey.answered", {"score": 5}),
        ],
    ),
    (
        "C-1016",
        {
            "at": "2026-12-03 14:00",
            "customer": "woodgrove",
            "tier": "enterprise",
            "channel": "email",
            "category": "technical",
            "subject": "SSO login loop",
            "body": "Our users are stuck in a login loop with SAML SSO since this afternoon.",
        },
        [
            (
                "2026-12-03 14:30",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "We are investigating; could you send a HAR file of the loop?",
                },
            ),
            ("2026-12-03 14:31", "status.changed", {"status": "pending_customer"}),
            ("2026-12-03 15:10", "customer.message", {"body": "HAR file attached."}),
            (
                "2026-12-03 15:30",
                "case.escalated",
                {
                    "agent": "lena",
                    "to": "specialist",
                    "reason": "SAML assertion issue, needs engineering",
                },
            ),
            ("2026-12-03 15:50", "escalation.acknowledged", {"agent": "dev-anna"}),
            (
                "2026-12-04 10:00",
                "agent.message",
                {
                    "agent": "dev-anna",
                    "body": "The certificate on our side rotated early; we restored the old one. Please retry.",
                },
            ),
            ("2026-12-04 10:30", "customer.message", {"body": "Works again, thanks."}),
            ("2026-12-04 10:40", "status.changed", {"status": "resolved"}),
            ("2026-12-07 09:00", "survey.answered", {"score": 3, "comment": "Took a day."}),
        ],
    ),
    (
        "C-1017",
        {
            "at": "2026-12-04 16:40",
            "customer": "litware",
            "tier": "enterprise",
            "channel": "email",
            "category": "billing",
            "subject": "Invoice charged twice",
            "body": "Invoice 2026-1183 was charged twice. This is the third time I write about this.",
        },
        [
            (
                "2026-12-07 09:30",
                "agent.message",
                {
                    "agent": "ines",
                    "body": "I see both charges and have asked for the second to be reversed.",
                },
            ),
            (
                "2026-12-07 10:05",
                "customer.message",
                {"body": "This is unacceptable. I want to speak to your manager now."},
            ),
            ("2026-12-07 10:50", "escalation.acknowledged", {"agent": "sup-mark"}),
            (
                "2026-12-07 11:00",
                "approval.requested",
                {"agent": "sup-mark", "kind": "refund", "amount": 300},
            ),
            (
                "2026-12-07 11:10",
                "agent.message",
                {
                    "agent": "sup-mark",
                    "body": "I have refunded the duplicate charge of 300 EUR. Sorry for the trouble.",
                },
            ),
            ("2026-12-07 11:15", "status.changed", {"status": "resolved"}),
            ("2026-12-07 15:00", "survey.answered", {"score": 4}),
        ],
    ),
    (
        "C-1018",
        {
            "at": "2026-12-04 17:30",
            "customer": "g.weiss",
            "tier": "standard",
            "channel": "web",
            "category": "technical",
            "subject": "Report is empty",
            "body": "The monthly report shows no data.",
        },
        [
            ("2026-12-07 13:20", "escalation.acknowledged", {"agent": "sup-mark"}),
            (
                "2026-12-07 14:30",
                "agent.message",
                {
                    "agent": "tom",
                    "body": "The report needs the data source selected again after the update. Does that help?",
                },
            ),
            ("2026-12-07 14:31", "status.changed", {"status": "pending_customer"}),
            ("2026-12-08 09:00", "customer.message", {"body": "Yes, data is back."}),
            ("2026-12-08 09:05", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1019",
        {
            "at": "2026-12-05 11:00",
            "customer": "b.costa",
            "tier": "standard",
            "channel": "social",
            "category": "account",
            "subject": "Public post",
            "body": "How do I change the language of the app?",
        },
        [
            (
                "2026-12-07 09:20",
                "agent.message",
                {
                    "agent": "sara",
                    "body": "Settings > Language; the change applies after a restart.",
                },
            ),
            ("2026-12-07 09:21", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1020",
        {
            "at": "2026-12-07 09:10",
            "customer": "adatum",
            "tier": "enterprise",
            "channel": "email",
            "category": "technical",
            "subject": "API rate limits",
            "body": "We hit rate limits far below what our contract says.",
        },
        [
            (
                "2026-12-07 09:50",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "Your key had the default limit; we have applied the contractual one.",
                },
            ),
            ("2026-12-07 10:30", "customer.message", {"body": "Still seeing 429 responses."}),
            (
                "2026-12-07 12:10",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "A second key in your account still had the old limit; fixed now.",
                },
            ),
            ("2026-12-07 12:11", "status.changed", {"status": "resolved"}),
            ("2026-12-08 09:00", "survey.answered", {"score": 4}),
        ],
    ),
    (
        "C-1021",
        {
            "at": "2026-12-07 11:45",
            "customer": "e.lindqvist",
            "tier": "standard",
            "channel": "chat",
            "category": "refund",
            "subject": "Chat",
            "body": "I cancelled within 14 days, where is my refund?",
        },
        [
            (
                "2026-12-07 11:50",
                "agent.message",
                {
                    "agent": "omar",
                    "body": "The refund was issued on Friday; it takes up to five working days.",
                },
            ),
            ("2026-12-07 11:52", "customer.message", {"body": "Ok, thanks."}),
            ("2026-12-07 11:53", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1022",
        {
            "at": "2026-12-07 13:30",
            "customer": "v.horvat",
            "tier": "standard",
            "channel": "email",
            "category": "technical",
            "subject": "Notifications missing",
            "body": "I no longer get email notifications.",
        },
        [
            (
                "2026-12-07 16:00",
                "agent.message",
                {
                    "agent": "tom",
                    "body": "Your address bounced once and was paused; we have re-enabled it.",
                },
            ),
            ("2026-12-07 16:01", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1023",
        {
            "at": "2026-12-08 08:55",
            "customer": "proseware",
            "tier": "enterprise",
            "channel": "phone",
            "category": "technical",
            "impact": "high",
            "urgency": "medium",
            "subject": "Phone note",
            "body": "Customer reports slow dashboards for all users since the morning.",
        },
        [
            (
                "2026-12-08 09:20",
                "agent.message",
                {"agent": "lena", "body": "We confirm degraded performance and are working on it."},
            ),
            (
                "2026-12-08 12:00",
                "customer.message",
                {"body": "Any news? Our managers cannot work like this."},
            ),
            (
                "2026-12-08 12:45",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "A database index is being rebuilt; we expect normal speed within two hours.",
                },
            ),
            (
                "2026-12-08 15:10",
                "agent.message",
                {"agent": "lena", "body": "Performance is back to normal."},
            ),
            ("2026-12-08 15:11", "status.changed", {"status": "resolved"}),
            ("2026-12-09 09:00", "survey.answered", {"score": 3}),
        ],
    ),
    (
        "C-1024",
        {
            "at": "2026-12-08 10:10",
            "customer": "n.yilmaz",
            "tier": "standard",
            "channel": "web",
            "category": "billing",
            "subject": "Need invoice copy",
            "body": "Please send me a copy of my October invoice.",
        },
        [
            (
                "2026-12-08 11:30",
                "agent.message",
                {"agent": "ines", "body": "Attached is your October invoice."},
            ),
            ("2026-12-08 11:31", "status.changed", {"status": "resolved"}),
            ("2026-12-08 16:00", "survey.answered", {"score": 5}),
        ],
    ),
    (
        "C-1025",
        {
            "at": "2026-12-08 14:20",
            "customer": "c.dubois",
            "tier": "standard",
            "channel": "email",
            "category": "shipping",
            "subject": "Damaged parcel",
            "body": "The parcel arrived crushed and the screen is cracked.",
        },
        [
            (
                "2026-12-08 15:00",
                "agent.message",
                {"agent": "sara", "body": "Sorry! Please send a photo and we will replace it."},
            ),
            ("2026-12-08 15:01", "status.changed", {"status": "pending_customer"}),
            ("2026-12-09 08:30", "customer.message", {"body": "Photos attached."}),
            (
                "2026-12-09 10:00",
                "agent.message",
                {"agent": "sara", "body": "A replacement is on its way."},
            ),
            ("2026-12-09 10:01", "status.changed", {"status": "resolved"}),
            ("2026-12-10 09:30", "survey.answered", {"score": 5}),
        ],
    ),
    (
        "C-1026",
        {
            "at": "2026-12-09 09:30",
            "customer": "relecloud",
            "tier": "enterprise",
            "channel": "email",
            "category": "account",
            "subject": "Audit log export",
            "body": "We need the audit log for November for our auditors.",
        },
        [
            ("2026-12-09 10:40", "escalation.acknowledged", {"agent": "sup-mark"}),
            (
                "2026-12-09 10:40",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "The export is being prepared; you will have it this afternoon.",
                },
            ),
            (
                "2026-12-09 14:30",
                "agent.message",
                {"agent": "lena", "body": "The audit log is ready in your download area."},
            ),
            ("2026-12-09 14:31", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1027",
        {
            "at": "2026-12-09 11:00",
            "customer": "f.moretti",
            "tier": "standard",
            "channel": "chat",
            "category": "technical",
            "subject": "Chat",
            "body": "The editor freezes when I paste a table.",
        },
        [
            (
                "2026-12-09 11:04",
                "agent.message",
                {"agent": "tom", "body": "Which browser are you using?"},
            ),
            (
                "2026-12-09 11:06",
                "customer.message",
                {
                    "body": "Firefox 133. And please just transfer me to someone who knows the product."
                },
            ),
            ("2026-12-09 11:20", "escalation.acknowledged", {"agent": "sup-mark"}),
            (
                "2026-12-09 11:25",
                "agent.message",
                {
                    "agent": "sup-mark",
                    "body": "This is a known Firefox issue; pasting as plain text works until the fix on Friday.",
                },
            ),
            ("2026-12-09 11:40", "status.changed", {"status": "resolved"}),
            ("2026-12-09 15:00", "survey.answered", {"score": 3}),
        ],
    ),
    (
        "C-1028",
        {
            "at": "2026-12-09 15:50",
            "customer": "t.baker",
            "tier": "standard",
            "channel": "email",
            "category": "refund",
            "subject": "Refund request",
            "body": "I was billed for a plan I cancelled in September. I expect a refund.",
        },
        [
            (
                "2026-12-10 09:15",
                "agent.message",
                {
                    "agent": "omar",
                    "body": "Our records show the cancellation; a refund of 240 EUR is requested.",
                },
            ),
            (
                "2026-12-10 09:16",
                "approval.requested",
                {"agent": "omar", "kind": "refund", "amount": 240},
            ),
            ("2026-12-10 09:40", "escalation.acknowledged", {"agent": "sup-mark"}),
            (
                "2026-12-10 10:00",
                "agent.message",
                {
                    "agent": "sup-mark",
                    "body": "Approved: 240 EUR will be back on your card within five days.",
                },
            ),
            ("2026-12-10 10:01", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1029",
        {
            "at": "2026-12-10 08:40",
            "customer": "humongous",
            "tier": "enterprise",
            "channel": "email",
            "category": "technical",
            "subject": "Data import stuck",
            "body": "Our CSV import has been at 45% for an hour.",
        },
        [
            (
                "2026-12-10 09:10",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "The import worker restarted; your job is running again.",
                },
            ),
            (
                "2026-12-10 11:00",
                "customer.message",
                {"body": "Now it is stuck at 80%. Please escalate this."},
            ),
            (
                "2026-12-10 11:05",
                "case.escalated",
                {"agent": "lena", "to": "specialist", "reason": "import worker keeps stalling"},
            ),
            ("2026-12-10 11:20", "escalation.acknowledged", {"agent": "dev-anna"}),
            (
                "2026-12-10 13:00",
                "agent.message",
                {
                    "agent": "dev-anna",
                    "body": "A malformed row blocked the worker; we skipped it and the import finished.",
                },
            ),
            (
                "2026-12-10 13:30",
                "case.escalated",
                {
                    "agent": "dev-anna",
                    "to": "frontline",
                    "reason": "fixed; frontline follows up on the skipped row",
                },
            ),
            (
                "2026-12-10 14:00",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "Row 18,202 had an unclosed quote; could you re-send it?",
                },
            ),
            ("2026-12-10 14:01", "status.changed", {"status": "pending_customer"}),
            ("2026-12-11 09:00", "customer.message", {"body": "Fixed row attached."}),
            ("2026-12-11 09:30", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1030",
        {
            "at": "2026-12-10 12:00",
            "customer": "q.ali",
            "tier": "standard",
            "channel": "social",
            "category": "billing",
            "subject": "Public post",
            "body": "Charged again after cancelling. Scam company, I will report you!",
        },
        [
            ("2026-12-10 12:10", "escalation.acknowledged", {"agent": "ines"}),
            (
                "2026-12-10 12:20",
                "agent.message",
                {
                    "agent": "ines",
                    "body": "I am sorry. I have stopped the subscription and refunded the charge. Details by DM.",
                },
            ),
            (
                "2026-12-10 12:21",
                "approval.requested",
                {"agent": "ines", "kind": "refund", "amount": 19},
            ),
            ("2026-12-10 13:00", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1031",
        {
            "at": "2026-12-10 16:30",
            "customer": "o.nilsen",
            "tier": "standard",
            "channel": "email",
            "category": "technical",
            "subject": "Two-factor codes not arriving",
            "body": "SMS codes for two-factor login do not arrive.",
        },
        [
            (
                "2026-12-11 10:40",
                "agent.message",
                {
                    "agent": "tom",
                    "body": "Your carrier blocks our sender; please use the authenticator app meanwhile.",
                },
            ),
            (
                "2026-12-11 11:30",
                "customer.message",
                {"body": "I do not want an app. Fix the SMS. Terrible."},
            ),
            ("2026-12-11 12:00", "escalation.acknowledged", {"agent": "sup-mark"}),
        ],
    ),
    (
        "C-1032",
        {
            "at": "2026-12-11 09:20",
            "customer": "woodgrove",
            "tier": "enterprise",
            "channel": "email",
            "category": "account",
            "subject": "Add SSO domain",
            "body": "Please add the domain woodgrove.eu to our SSO.",
        },
        [
            (
                "2026-12-11 10:00",
                "agent.message",
                {
                    "agent": "lena",
                    "body": "Added; users with @woodgrove.eu now sign in through SSO.",
                },
            ),
            ("2026-12-11 10:01", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1033",
        {
            "at": "2026-12-11 13:15",
            "customer": "i.kovacs",
            "tier": "standard",
            "channel": "web",
            "category": "shipping",
            "subject": "Change delivery address",
            "body": "Can I still change the delivery address of order 88172?",
        },
        [
            (
                "2026-12-11 14:00",
                "agent.message",
                {"agent": "sara", "body": "Yes, updated. It ships on Monday."},
            ),
            ("2026-12-11 14:01", "status.changed", {"status": "resolved"}),
        ],
    ),
    (
        "C-1034",
        {
            "at": "2026-12-11 15:45",
            "customer": "northwind",
            "tier": "enterprise",
            "channel": "email",
            "category": "technical",
            "subject": "Export slow again",
            "body": "The nightly export takes four hours instead of one.",
        },
        [],
    ),
    (
        "C-1035",
        {
            "at": "2026-12-11 16:20",
            "customer": "u.meyer",
            "tier": "standard",
            "channel": "chat",
            "category": "account",
            "subject": "Chat",
            "body": "I want to delete my account.",
        },
        [
            (
                "2026-12-11 16:25",
                "agent.message",
                {
                    "agent": "tom",
                    "body": "I can help; please confirm by replying from your account email.",
                },
            ),
            ("2026-12-11 16:26", "status.changed", {"status": "pending_customer"}),
        ],
    ),
]


def _instant(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).isoformat()


def events() -> list[dict[str, object]]:
    """Every story's events, in time order (stories in order for events at the same instant)."""
    rows: list[tuple[str, int, dict[str, object]]] = []
    order = 0
    for case, opening, steps in STORIES:
        fields = dict(opening)
        when = str(fields.pop("at"))
        rows.append(
            (
                _instant(when),
                order,
                {"at": _instant(when), "type": "case.opened", "case": case, **fields},
            )
        )
        for when, kind, extra in steps:
            order += 1
            rows.append(
                (_instant(when), order, {"at": _instant(when), "type": kind, "case": case, **extra})
            )
        order += 1
    rows.sort(key=lambda row: (datetime.fromisoformat(row[0]), row[1]))
    return [row[2] for row in rows]


def main() -> None:
    """Write examples/events.jsonl."""
    lines = [json.dumps(event, ensure_ascii=False) for event in events()]
    (HERE / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} events, {len(STORIES)} cases")


if __name__ == "__main__":
    main()
