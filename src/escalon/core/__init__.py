"""The pure core: calendars, durations, SLA clocks, policies and the engine.

Nothing in this package does I/O, reads the clock or imports a web or database framework;
everything time-dependent takes the instant it should reason about.
"""
