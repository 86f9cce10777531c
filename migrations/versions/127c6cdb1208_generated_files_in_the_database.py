"""generated files in the database (badge PDFs any server can hand out); badge job attempts; dashboard snapshot as JSON

Revision ID: 127c6cdb1208
Revises: 35e73fdd1574
Create Date: 2026-12-01 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '127c6cdb1208'
down_revision = '35e73fdd1574'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('generated_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('mimetype', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conference_id'], ['conference.id'], name=op.f('fk_generated_file_conference_id_conference'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_generated_file'))
    )
    with op.batch_alter_table('generated_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_generated_file_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_generated_file_expires_at'), ['expires_at'], unique=False)

    op.create_table('generated_file_person',
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_generated_file_person_attendee_id_attendee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['file_id'], ['generated_file.id'], name=op.f('fk_generated_file_person_file_id_generated_file'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('file_id', 'attendee_id', name=op.f('pk_generated_file_person'))
    )
    with op.batch_alter_table('generated_file_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_generated_file_person_attendee_id'), ['attendee_id'], unique=False)

    # PDFs on one server's disk are not carried over: their jobs are made again from the Badges page.
    op.execute("DELETE FROM badge_job WHERE state = 'done'")
    with op.batch_alter_table('badge_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_foreign_key(batch_op.f('fk_badge_job_file_id_generated_file'), 'generated_file', ['file_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_column('file_name')
    with op.batch_alter_table('badge_job', schema=None) as batch_op:
        batch_op.alter_column('attempts', server_default=None)

    # A snapshot is a cache of figures the dashboard recomputes: the pickled ones are dropped.
    op.execute("DELETE FROM dashboard_snapshot")
    with op.batch_alter_table('dashboard_snapshot', schema=None) as batch_op:
        batch_op.drop_column('payload')
        batch_op.add_column(sa.Column('figures', sa.JSON(), nullable=False))


def downgrade():
    op.execute("DELETE FROM dashboard_snapshot")
    with op.batch_alter_table('dashboard_snapshot', schema=None) as batch_op:
        batch_op.drop_column('figures')
        batch_op.add_column(sa.Column('payload', sa.LargeBinary(), nullable=False))
    op.execute("DELETE FROM badge_job WHERE state = 'done'")
    with op.batch_alter_table('badge_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.drop_constraint(batch_op.f('fk_badge_job_file_id_generated_file'), type_='foreignkey')
        batch_op.drop_column('attempts')
        batch_op.drop_column('file_id')
    with op.batch_alter_table('generated_file_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_generated_file_person_attendee_id'))
    op.drop_table('generated_file_person')
    with op.batch_alter_table('generated_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_generated_file_expires_at'))
        batch_op.drop_index(batch_op.f('ix_generated_file_conference_id'))
    op.drop_table('generated_file')
