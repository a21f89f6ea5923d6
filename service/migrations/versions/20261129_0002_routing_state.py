"""routing state and completion

Revision ID: 20261129_0002
Revises: 20261121_0001
Create Date: 2026-11-29 19:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '20261129_0002'
down_revision = '20261121_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('routing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='sent'))
        batch_op.add_column(sa.Column('completed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_routing_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('routing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_state'))
        batch_op.drop_column('completed_at')
        batch_op.drop_column('state')
