"""jobs (user_id, started_at) index: the fair pick reads each waiting user's last start

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_jobs_user_started", "jobs", ["user_id", "started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_jobs_user_started", table_name="jobs")
