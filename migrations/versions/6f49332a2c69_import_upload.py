"""import upload: a registrant file kept in the database between its preview and its import

Revision ID: 6f49332a2c69
Revises: 91e82239a7fa
Create Date: 2026-12-02 10:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6f49332a2c69'
down_revision = '91e82239a7fa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_upload',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conference_id'], ['conference.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizer.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_upload_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_upload_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('import_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_upload_expires_at'))
        batch_op.drop_index(batch_op.f('ix_import_upload_conference_id'))
    op.drop_table('import_upload')
