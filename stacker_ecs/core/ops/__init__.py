"""One module per lifecycle operation: health, cutover, rollback, cleanup, status."""
