"""The lifecycle operations, a module each (verify, cutover, canary, gates, rollback, cleanup, teardown, status,
history, diagnose, adopt, unlock), and the reads and records they share."""
