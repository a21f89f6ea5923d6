"""the stamp job's claim on an attachment: several app nodes each run the job, so one claims an attachment
(atomically, with a lease that lapses when its node dies) before it stamps it

Revision ID: 20261211_stampclaim
Revises: 20261210_ids
Create Date: 2026-12-11 09:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '20261211_stampclaim'
down_revision = '20261210_ids'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stamp_claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('stamp_claimed_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_column('stamp_claimed_until')
        batch_op.drop_column('stamp_claimed_by')
