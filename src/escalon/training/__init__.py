"""The training ground: scenarios built from real history, and what serves them."""
