"""opaque public ids: the installation's random key of the public id permutation (one row)

Revision ID: 20261210_ids
Revises: 20261210_replica
Create Date: 2026-12-10 09:00:00
"""
import secrets

import sqlalchemy as sa
from alembic import op


revision = '20261210_ids'
down_revision = '20261210_replica'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'public_id_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_id_key')),
    )
    # made here, once per database: every process and node sharing it shares the key
    op.bulk_insert(table, [{'id': 1, 'key': secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table('public_id_key')
