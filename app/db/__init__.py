"""Database access: the named SQL of `sql/`, run with psycopg, behind typed async functions."""
