"""registration corrections: every correction of a registered letter's particulars with the values before and after
(cancellations of receive numbers reuse ``numbercancellation``)

Revision ID: 20261208_clerkday
Revises: 20261208_procedures
Create Date: 2026-12-08 09:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '20261208_clerkday'
down_revision = "20261208_procedures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registrationcorrection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('corrected_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('corrected_by', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['corrected_by'], ['user.id'], name=op.f('fk_registrationcorrection_corrected_by_user')),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_registrationcorrection_letter_id_letter')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                            name=op.f('fk_registrationcorrection_registration_id_registration')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrationcorrection'))
    )
    with op.batch_alter_table('registrationcorrection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrationcorrection_letter_id'), ['letter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrationcorrection_registration_id'), ['registration_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('registrationcorrection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrationcorrection_registration_id'))
        batch_op.drop_index(batch_op.f('ix_registrationcorrection_letter_id'))
    op.drop_table('registrationcorrection')
