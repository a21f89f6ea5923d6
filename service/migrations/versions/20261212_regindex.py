"""drop ix_registration_registry_id: uq_registration_number (registry_id, year, number) leads with the same column
and serves every lookup by registry; the extra index cost every registration a B-tree page of its own

Revision ID: 20261212_regindex
Revises: 20261211_stampclaim
Create Date: 2026-12-12 09:00:00
"""
from alembic import op


revision = '20261212_regindex'
down_revision = '20261211_stampclaim'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_registry_id')


def downgrade() -> None:
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index('ix_registration_registry_id', ['registry_id'], unique=False)
