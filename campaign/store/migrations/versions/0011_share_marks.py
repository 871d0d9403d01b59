"""share marks: staff's "I shared it" presses on share kits, once per person and post

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 05:10:00

The unique (post_id, person) pair makes a second press (or two racing presses) count once.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import campaign.store.models

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('share_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('person', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('at', campaign.store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('post_id', 'person', name='uq_share_mark_post_person')
    )
    op.create_index('ix_share_marks_unit', 'share_marks', ['unit', 'post_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_share_marks_unit', table_name='share_marks')
    op.drop_table('share_marks')
