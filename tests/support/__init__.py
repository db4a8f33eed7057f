"""Real servers and references the tests run against: PostgreSQL, dovecot, SMTP, webhook
receivers, free ports and a slow reference calendar. Their fixtures live in tests/conftest.py."""
