"""Authentication and roles: users, their API tokens, and what each role may do."""
