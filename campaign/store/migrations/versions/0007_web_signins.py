"""web sign-in links: one row per link the bot sends (single use, 10-minute expiry)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 02:45:00

``/web`` in a private chat hands out a signed link; redeeming it sets ``used_at`` with a
conditional UPDATE, so a link starts at most one session even if two browsers race for it.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import campaign.store.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_signins',
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', campaign.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', campaign.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', campaign.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('nonce')
    )


def downgrade() -> None:
    op.drop_table('web_signins')
