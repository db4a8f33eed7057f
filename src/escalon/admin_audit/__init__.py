"""The admin audit trail: who changed users, tokens, policies, webhooks, the roster, settings and
the outbox, when, and what; append-only, readable by admins."""
