"""posts keep their Markdown only (renderings are made when used) and their file's stat stamp

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:20:00

A post's Telegram HTML and plain text are made from its body and title whenever a message is
built (campaign.publishing.post_payload), as sync already does to check that they fit. Keeping
them as well tripled each row: cold sync of 10,000 posts spent more time writing them than
parsing the files. ``file_stat`` lets a resync skip an unchanged file without reading it.
``ix_posts_status`` went: status is the first column of ``ix_posts_listing``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_status')
        batch_op.drop_column('telegram_html')
        batch_op.drop_column('plain_text')
        batch_op.add_column(sa.Column('file_stat', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('file_stat')
        batch_op.add_column(sa.Column('plain_text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('telegram_html', sa.Text(), server_default='', nullable=False))
        batch_op.create_index('ix_posts_status', ['status'], unique=False)
    # the older code reads these columns: make its next sync parse (and render) every file again
    op.execute("UPDATE posts SET file_hash = ''")
