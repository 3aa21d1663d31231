"""0007: migrations/0007_send_without_user_key_checks.sql."""

from app.db.migrate import sql_revision

revision, down_revision, upgrade, downgrade = sql_revision(__file__)
