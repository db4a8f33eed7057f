"""The learning loop: what the team's escalations have in common, and what to change."""
