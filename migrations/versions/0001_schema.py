"""0001: migrations/0001_schema.sql."""

from app.db.migrate import sql_revision

revision, down_revision, upgrade, downgrade = sql_revision(__file__)
