"""proven email addresses: attendee.email_verified_at, pending_email, email nullable (provisional rows); sign_in_token.new_email

Revision ID: 8d3f4b6a1c27
Revises: 5a1c0e7d2b90
Create Date: 2026-12-02 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d3f4b6a1c27'
down_revision = '5a1c0e7d2b90'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('attendee', sa.Column('pending_email', sa.String(length=254), nullable=True))
    op.add_column('attendee', sa.Column('email_verified_at', sa.DateTime(), nullable=True))
    op.add_column('sign_in_token', sa.Column('new_email', sa.String(length=254), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('attendee', 'email', existing_type=sa.String(length=254), nullable=True)
    else:
        # SQLite can't drop NOT NULL in place, and a batch copy of attendee would trip the triggers
        # that name it: drop them around the copy and put them back as they were.
        connection = op.get_bind()
        triggers = connection.execute(sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL")).all()
        for name, _ in triggers:
            op.execute(f'DROP TRIGGER "{name}"')
        with op.batch_alter_table('attendee', schema=None, recreate='always') as batch_op:
            batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
        for _, sql in triggers:
            op.execute(sql)
    # A claimed profile was claimed through a link to its address.
    op.execute("UPDATE attendee SET email_verified_at = claimed_at WHERE claimed_at IS NOT NULL")


def downgrade():
    op.drop_column('sign_in_token', 'new_email')
    op.drop_column('attendee', 'email_verified_at')
    op.drop_column('attendee', 'pending_email')
