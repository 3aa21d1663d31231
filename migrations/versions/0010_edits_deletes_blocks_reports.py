"""0010: migrations/0010_edits_deletes_blocks_reports.sql."""

from app.db.migrate import sql_revision

revision, down_revision, upgrade, downgrade = sql_revision(__file__)
