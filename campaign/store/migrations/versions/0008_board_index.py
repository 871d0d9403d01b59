"""dashboard index: the timeline counts a window's posts from one index

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 05:10:00

``ix_posts_board`` holds every column ``board.clusters`` reads (time, state inputs, channels),
so a month of a 10,000-post campaign is counted without reading the posts' rows (their bodies).
On PostgreSQL ``posts.channels`` becomes jsonb first: json has no btree operator class.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = ["scheduled_at", "status", "rejected", "approved_by", "approvals_required", "published_hash",
           "content_hash", "channels"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("posts", "channels", type_=postgresql.JSONB(), existing_nullable=False,
                        postgresql_using="channels::jsonb")
    op.create_index("ix_posts_board", "posts", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_posts_board", table_name="posts")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("posts", "channels", type_=sa.JSON(), existing_nullable=False, postgresql_using="channels::json")
