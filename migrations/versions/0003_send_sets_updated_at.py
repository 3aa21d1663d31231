"""0003: migrations/0003_send_sets_updated_at.sql."""

from app.db.migrate import sql_revision

revision, down_revision, upgrade, downgrade = sql_revision(__file__)
