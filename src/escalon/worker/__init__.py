"""The worker: fires due timers through the core, and delivers the outbox."""
