"""upload safety: why a main document has no stamp, active content found in a PDF, objects found altered, the
first answers of creates sent with an Idempotency-Key

Revision ID: 20261208_secupload
Revises: 20261206_0005
Create Date: 2026-12-08 09:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '20261208_secupload'
down_revision = '20261208_clerkday'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stamp_status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('active_content', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False,
                                      server_default=''))
    op.create_table('object_fault',
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('found_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_object_fault'))
    )
    op.create_table('idempotency_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('route', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
    sa.UniqueConstraint('actor_id', 'key', name=op.f('uq_idempotency_record_actor_id')),
    )
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_record_actor_id'), ['actor_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_record_actor_id'))
    op.drop_table('idempotency_record')
    op.drop_table('object_fault')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_column('active_content')
        batch_op.drop_column('stamp_status')
