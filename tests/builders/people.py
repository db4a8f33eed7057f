"""People's working hours as the API takes them."""

from __future__ import annotations

# Monday to Friday, nine to five (in the agent's own time zone).
OFFICE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
