"""Stored policy versions: upload, validate, activate; the compiled policy of each version."""
