"""${message}: migrations/${up_revision}_NAME.sql (name this file after it)."""

from app.db.migrate import sql_revision

revision, down_revision, upgrade, downgrade = sql_revision(__file__)
