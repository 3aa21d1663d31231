"""Process start-up: granian and its drain, the embedded PostgreSQL."""
