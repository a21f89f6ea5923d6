"""administration screens: a unit's kind (office, group, outside party, school) and address; a registry year closed

Revision ID: 20261209_admin
Revises: 20261208_secauth
Create Date: 2026-12-09 09:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '20261209_admin'
down_revision = '20261208_secauth'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('unit', sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                    server_default=''))
    op.add_column('unit', sa.Column('address', sa.Text(), nullable=False, server_default=''))
    op.add_column('numbercounter', sa.Column('closed', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('numbercounter', schema=None) as batch_op:
        batch_op.drop_column('closed')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('address')
        batch_op.drop_column('kind')
