"""an index replica per app node: the ordered change log every node's index worker follows, and the nodes

Revision ID: 20261210_replica
Revises: 20261209_admin
Create Date: 2026-12-10 09:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '20261210_replica'
down_revision = '20261209_admin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'index_change',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('letter_id', sa.Integer(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_index_change')),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'index_node',
        sa.Column('node_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('cursor', sa.BigInteger(), nullable=False),
        sa.Column('applied', sa.BigInteger(), nullable=False),
        sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('index_path', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('heartbeat', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('node_id', name=op.f('pk_index_node')),
    )
    # Letters a crash left pending before the log existed: one entry each, so every node's worker takes them.
    op.execute(
        "INSERT INTO index_change (letter_id, reason) "
        "SELECT id, 'upgrade' FROM letter WHERE index_status IN ('pending', 'indexing') ORDER BY id"
    )


def downgrade() -> None:
    op.drop_table('index_node')
    op.drop_table('index_change')
