"""0011: migrations/0011_sessions.sql."""

from app.db.migrate import sql_revision

revision, down_revision, upgrade, downgrade = sql_revision(__file__)
