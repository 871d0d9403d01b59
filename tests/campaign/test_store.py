"""The migrations build exactly the schema the models describe, on every configured database."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from campaign.store.db import Store, alembic_config, migrate


def test_migrations_match_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


def test_migrating_twice_is_harmless(store: Store) -> None:
    migrate(store.engine)
    with store.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0010"


def test_posts_survive_the_move_to_render_on_use_and_back(store: Store) -> None:
    """0004 drops the stored renderings; going back to 0003 makes the older code re-read every file."""
    cfg = alembic_config(store.engine)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
        conn.execute(text(
            "INSERT INTO posts (key, source_path, title, time_text, scheduled_at, channels, media, options,"
            " approvals_required, body, telegram_html, plain_text, content_hash, file_hash, status, updated_at)"
            " VALUES ('a', 'content/a.md', 'A', '08:00', '2021-01-26 01:00:00', '[]', '[]', '{}', 1, '**x**',"
            " '<b>x</b>', 'x', 'h', 'f', 'scheduled', '2021-01-20 00:00:00')"))
        command.upgrade(cfg, "head")
        assert conn.execute(text("SELECT key, body, file_hash FROM posts")).all() == [("a", "**x**", "f")]
        assert "telegram_html" not in {c["name"] for c in inspect(conn).get_columns("posts")}
        command.downgrade(cfg, "0003")
        assert conn.execute(text("SELECT key, telegram_html, file_hash FROM posts")).all() == [("a", "", "")]
        command.upgrade(cfg, "head")


def test_chat_moves_come_and_go_with_0005(store: Store) -> None:
    cfg = alembic_config(store.engine)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
        assert "chat_moves" not in inspect(conn).get_table_names()
        command.upgrade(cfg, "head")
        assert {c["name"] for c in inspect(conn).get_columns("chat_moves")} == {"kind", "old_chat", "new_chat", "at", "source"}
