"""attendee.meeting_mail: "Email me about meetings"

Revision ID: 018c17cb26b0
Revises: 156659d8a364
Create Date: 2026-12-02 06:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '018c17cb26b0'
down_revision = '156659d8a364'
branch_labels = None
depends_on = None


def upgrade():
    # In place (no batch copy of attendee: SQLite's triggers name it).
    op.add_column('attendee', sa.Column('meeting_mail', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    op.drop_column('attendee', 'meeting_mail')
