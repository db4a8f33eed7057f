"""Benchmark harness for django-helpdesk's escalate_tickets, the baseline for Escalon's worker."""
