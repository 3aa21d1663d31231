"""State the processes share outside PostgreSQL: Redis (or, without it, this process) behind the
services' ports. Today: the per-user message rate limit."""
