"""attendee.session_version: sessions signed in before a bump stop working

Revision ID: 5a1c0e7d2b90
Revises: 1be43217b428
Create Date: 2026-12-02 01:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1c0e7d2b90'
down_revision = '1be43217b428'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (SQLite takes it with a constant default): a batch copy of the table would
    # trip the connection triggers that name it.
    op.add_column('attendee', sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('attendee', 'session_version')
