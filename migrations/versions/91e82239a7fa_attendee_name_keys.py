"""attendee name keys: name, school and district folded to ASCII for search, the name's letters for sorting

Revision ID: 91e82239a7fa
Revises: 35e73fdd1574
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '91e82239a7fa'
down_revision = '127c6cdb1208'
branch_labels = None
depends_on = None


def upgrade():
    from conference.attendees.models import name_keys

    # ADD COLUMN needs no table copy on SQLite, so the tally triggers on attendee stay in place.
    with op.batch_alter_table('attendee', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('search_key', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('name_key', sa.String(length=255).with_variant(
            sa.String(length=255, collation='C'), 'postgresql'), server_default='', nullable=False))
        batch_op.create_index('ix_attendee_name_order', ['conference_id', 'name_key'], unique=False)
    connection = op.get_bind()
    attendee = sa.table('attendee', sa.column('id', sa.Integer), sa.column('name', sa.String),
                        sa.column('school', sa.String), sa.column('district', sa.String),
                        sa.column('search_key', sa.Text), sa.column('name_key', sa.String))
    rows = connection.execute(sa.select(attendee.c.id, attendee.c.name, attendee.c.school,
                                        attendee.c.district)).all()
    update = (sa.update(attendee).where(attendee.c.id == sa.bindparam('attendee_id'))
              .values(search_key=sa.bindparam('search'), name_key=sa.bindparam('sort')))
    for start in range(0, len(rows), 1000):
        batch = []
        for row in rows[start:start + 1000]:
            keys = name_keys(row.name, row.school, row.district)
            batch.append({'attendee_id': row.id, 'search': keys['search_key'], 'sort': keys['name_key']})
        connection.execute(update, batch)


def downgrade():
    with op.batch_alter_table('attendee', schema=None, recreate='never') as batch_op:
        batch_op.drop_index('ix_attendee_name_order')
        batch_op.drop_column('name_key')
        batch_op.drop_column('search_key')
