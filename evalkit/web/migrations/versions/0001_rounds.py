"""Rating rounds: settings, administrators, rounds, agencies, submissions.

Revision ID: 0001_rounds
Revises:
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_rounds"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("setting", sa.Column("key", sa.String(64), primary_key=True), sa.Column("value", sa.Text))
    op.create_table("admin", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("username", sa.String(100), nullable=False, unique=True),
                    sa.Column("password_hash", sa.String(255), nullable=False),
                    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.create_table("rating_round", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(200), nullable=False),
                    sa.Column("year", sa.Integer, nullable=False),
                    sa.Column("policy", sa.String(64), nullable=False),
                    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
                    sa.Column("closed", sa.Boolean, nullable=False))
    op.create_table("agency", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("round_id", sa.Integer, sa.ForeignKey("rating_round.id", ondelete="CASCADE"),
                              nullable=False, index=True),
                    sa.Column("name", sa.String(200), nullable=False),
                    sa.Column("token", sa.String(64), nullable=False, unique=True),
                    sa.UniqueConstraint("round_id", "name", name="uq_agency_round_name"))
    op.create_table("submission", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("agency_id", sa.Integer, sa.ForeignKey("agency.id", ondelete="CASCADE"),
                              nullable=False, index=True),
                    sa.Column("version", sa.Integer, nullable=False),
                    sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
                    sa.Column("sha256", sa.String(64), nullable=False),
                    sa.Column("size", sa.Integer, nullable=False),
                    sa.Column("file_type", sa.String(8), nullable=False),
                    sa.Column("original_name", sa.String(255), nullable=False),
                    sa.Column("content", sa.LargeBinary, nullable=False),
                    sa.Column("status", sa.String(16), nullable=False),
                    sa.Column("summary", sa.JSON, nullable=False),
                    sa.UniqueConstraint("agency_id", "version", name="uq_submission_version"))


def downgrade() -> None:
    for table in ("submission", "agency", "rating_round", "admin", "setting"):
        op.drop_table(table)
