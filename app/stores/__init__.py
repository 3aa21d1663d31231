"""State the processes share outside PostgreSQL: Redis (or, without it, this process) behind the
services' ports: the `/auth` throttles and the per-user connection slots."""
