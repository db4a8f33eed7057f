"""The staff dashboard: server-rendered pages (Jinja2) behind a signed session cookie."""
