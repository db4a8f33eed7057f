"""Analytics: the KPI summary a manager reads."""
