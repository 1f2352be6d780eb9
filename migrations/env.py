"""Alembic environment for a dva-cards collection (SQLite, batch mode for ALTER TABLE)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

config = context.config


def _target_metadata() -> Any:
    """The models, for `alembic check` and `revision --autogenerate` only. The application upgrades a
    collection by handing over its connection and needs no models: importing SQLModel would cost every first
    run about half a second."""
    if config.attributes.get("connection") is not None:
        return None
    from dva_cards.models import SQLModel

    return SQLModel.metadata


target_metadata = _target_metadata()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
