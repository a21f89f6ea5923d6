"""security: sign-in throttling shared by every process, the two-person rule for secrets, keyed audit checkpoints

Revision ID: 20261208_secauth
Revises: 20261208_secupload
Create Date: 2026-12-08 09:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '20261208_secauth'
down_revision = '20261208_secupload'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('loginthrottle',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('blocked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_loginthrottle'))
    )
    op.create_table('grantrequest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('clearance', sa.Integer(), nullable=True),
    sa.Column('roles', sa.Text(), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_grantrequest_user_id_user')),
    sa.ForeignKeyConstraint(['requested_by'], ['user.id'], name=op.f('fk_grantrequest_requested_by_user')),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], name=op.f('fk_grantrequest_decided_by_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grantrequest'))
    )
    with op.batch_alter_table('grantrequest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grantrequest_user_id'), ['user_id'], unique=False)
    # Plain ADD COLUMN (no table rebuild): the audit trail's append-only triggers stay as they are.
    op.add_column('auditevent', sa.Column('mac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column('audithead', sa.Column('mac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":  # SQLite would rebuild the table and lose its triggers
        op.drop_column('auditevent', 'mac')
        op.drop_column('audithead', 'mac')
    with op.batch_alter_table('grantrequest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grantrequest_user_id'))
    op.drop_table('grantrequest')
    op.drop_table('loginthrottle')
