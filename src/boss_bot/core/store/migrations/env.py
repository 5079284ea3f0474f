"""Alembic environment: always given a live connection by boss_bot.core.store.migrate."""

from alembic import context

from boss_bot.core.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic CLI
    raise SystemExit("run migrations with `bossctl db upgrade`")

# migrate.upgrade records each step applied and logs it after the commit (alembic's own lines
# are quietened); other callers (current_revision, doctor) pass no hook.
on_version_apply = context.config.attributes.get("on_version_apply")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    compare_type=True,
    on_version_apply=[on_version_apply] if on_version_apply else [],
)
with context.begin_transaction():
    context.run_migrations()
