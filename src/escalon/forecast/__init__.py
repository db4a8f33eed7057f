"""Foresight from the team's own history: the people the coming week needs."""
