"""Foresight: how many people a queue needs, and what the queue in front of a case means for it."""
