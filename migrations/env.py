"""Alembic's environment for `chat migrate`: what it runs is app/db/migrate.py's."""

from app.db.migrate import run_in_alembic_environment

run_in_alembic_environment()
