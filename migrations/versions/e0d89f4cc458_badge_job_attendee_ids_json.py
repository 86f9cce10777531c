"""badge_job.attendee_ids: a JSON list of ids instead of comma-separated text

Revision ID: e0d89f4cc458
Revises: 018c17cb26b0
Create Date: 2026-12-02 06:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e0d89f4cc458'
down_revision = '018c17cb26b0'
branch_labels = None
depends_on = None


def upgrade():
    # "1,2,3" is the inside of the JSON list [1,2,3]; "" becomes [].
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE badge_job ALTER COLUMN attendee_ids TYPE JSON USING ('[' || attendee_ids || ']')::json")
    else:
        op.execute("UPDATE badge_job SET attendee_ids = '[' || attendee_ids || ']'")
        with op.batch_alter_table('badge_job', schema=None, recreate='always') as batch_op:
            batch_op.alter_column('attendee_ids', existing_type=sa.Text(), type_=sa.JSON(), existing_nullable=False)


def downgrade():
    # [1, 2, 3] back to "1,2,3".
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE badge_job ALTER COLUMN attendee_ids TYPE TEXT USING translate(attendee_ids::text, '[] ', '')")
    else:
        with op.batch_alter_table('badge_job', schema=None, recreate='always') as batch_op:
            batch_op.alter_column('attendee_ids', existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=False)
        op.execute("UPDATE badge_job SET attendee_ids = replace(replace(replace(attendee_ids, '[', ''), ']', ''), ' ', '')")
