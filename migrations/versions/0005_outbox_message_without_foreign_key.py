"""0005: migrations/0005_outbox_message_without_foreign_key.sql."""

from app.db.migrate import sql_revision

revision, down_revision, upgrade, downgrade = sql_revision(__file__)
