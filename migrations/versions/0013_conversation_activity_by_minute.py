"""0013: migrations/0013_conversation_activity_by_minute.sql."""

from app.db.migrate import sql_revision

revision, down_revision, upgrade, downgrade = sql_revision(__file__)
