"""private calendar links: one row per token handed out by /lichcanhan (/mycalendar), kept as its sha256

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 05:10:00

The token itself is shown once, in the private chat; the store keeps only its hash, so a copy of
the database gives nobody a working link. ``revoked_at`` set means the link answers 404.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import campaign.store.models

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_tokens',
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', campaign.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', campaign.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash')
    )
    op.create_index(op.f('ix_calendar_tokens_person'), 'calendar_tokens', ['person'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_calendar_tokens_person'), table_name='calendar_tokens')
    op.drop_table('calendar_tokens')
