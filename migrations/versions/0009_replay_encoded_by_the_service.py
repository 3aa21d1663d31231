"""0009: migrations/0009_replay_encoded_by_the_service.sql."""

from app.db.migrate import sql_revision

revision, down_revision, upgrade, downgrade = sql_revision(__file__)
