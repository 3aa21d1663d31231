"""0008: migrations/0008_message_ids_in_time_order.sql."""

from app.db.migrate import sql_revision

revision, down_revision, upgrade, downgrade = sql_revision(__file__)
