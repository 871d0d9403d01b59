"""chat moves: a Telegram group upgraded to a supergroup keeps being reached under its new id

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 21:40:00

Sending to an upgraded group's old id is refused with the new id; Loa follows it and remembers
the pair here, so later posts, reminders, edits and deletes use the right chat while
``config.toml`` still names the old one (``loa check`` warns about that).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import campaign.store.models

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chat_moves',
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('old_chat', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('new_chat', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('at', campaign.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'old_chat')
    )


def downgrade() -> None:
    op.drop_table('chat_moves')
