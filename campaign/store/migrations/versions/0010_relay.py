"""relayed sources: polling state per feed, and every item seen (deduplication, changes upstream)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 05:10:00

``relay_feeds`` keeps each [[relay]] source's ETag / Last-Modified and its run of failures (back-off,
one alert after an hour); ``relay_items`` one row per item seen, unique per (source, item_key).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import campaign.store.models

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('relay_feeds',
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('etag', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('last_modified', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('failing_since', campaign.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_poll_at', campaign.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alerted', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_ok_at', campaign.store.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('source')
    )
    op.create_table('relay_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('item_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('link', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('draft', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('draft_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('first_seen', campaign.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', campaign.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'item_key', name='uq_relay_item')
    )
    op.create_index(op.f('ix_relay_items_source'), 'relay_items', ['source'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_relay_items_source'), table_name='relay_items')
    op.drop_table('relay_items')
    op.drop_table('relay_feeds')
