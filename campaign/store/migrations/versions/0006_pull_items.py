"""pull items: what was published to feed and LED channels, served by the web server

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 02:40:00

A feed or an LED screen is not sent to: its adapter records the published post here and
``web/`` serves the latest ones. Retract marks a row, correct rewrites it; either bumps the
channel's version (a counter in ``settings``, key ``pull:<kind>:<target>``) behind ETags and LED refreshes.
Also indexes ``deliveries.sent_at``: ``/healthz`` reports the last publish in well under 5 ms.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import campaign.store.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pull_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('guid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('plain', sa.Text(), nullable=False),
    sa.Column('media', sa.JSON(), nullable=False),
    sa.Column('retracted', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('published_at', campaign.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', campaign.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_pull_items_listing', 'pull_items', ['kind', 'target', 'retracted', 'published_at'])
    op.create_index('ix_deliveries_sent_at', 'deliveries', ['sent_at'])


def downgrade() -> None:
    op.drop_index('ix_deliveries_sent_at', table_name='deliveries')
    op.drop_index('ix_pull_items_listing', table_name='pull_items')
    op.drop_table('pull_items')
