"""Use cases: each owns its transaction and publishes events only after commit."""
