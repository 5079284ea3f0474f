"""jobs.stage_at: when a job last changed stage or status (the stall watchdog reads it)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 06:00:00

Not backfilled: a job running during the upgrade may be run by a process that does not write
the column yet, so a clock taken from ``started_at`` could call it stalled. Its next stage
change (written by an upgraded process) starts the clock.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("stage_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("stage_at")
