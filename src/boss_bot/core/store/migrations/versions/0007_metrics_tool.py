"""metrics.tool, metrics.fallback_tool, metrics.tool_attempts: which tool served a job (or
failed last), whether it was a fallback tool, and each tool's try (success by platform × tool)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("metrics") as batch:
        batch.add_column(sa.Column("tool", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("fallback_tool", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("tool_attempts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("metrics") as batch:
        batch.drop_column("tool_attempts")
        batch.drop_column("fallback_tool")
        batch.drop_column("tool")
