"""Rate limits shared by every process: counters in the database, and who the client is."""
