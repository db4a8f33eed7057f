"""Customer organisations: the companies customers belong to, their tier and their calendar."""
