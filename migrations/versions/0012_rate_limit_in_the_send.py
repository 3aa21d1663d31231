"""0012: migrations/0012_rate_limit_in_the_send.sql."""

from app.db.migrate import sql_revision

revision, down_revision, upgrade, downgrade = sql_revision(__file__)
