"""The rate limits at the HTTP edge now live in `escalon.ratelimits.edge`; these names stay for
the modules that still import them from here (see the import-linter ratchet in pyproject.toml)."""

from __future__ import annotations

from escalon.ratelimits.edge import limits_of, public_page

__all__ = ["limits_of", "public_page"]
