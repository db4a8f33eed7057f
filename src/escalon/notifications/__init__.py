"""Notifications: the outbox, the transports that deliver it, and webhook endpoints."""
