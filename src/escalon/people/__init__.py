"""People: teams and the agents in them."""
