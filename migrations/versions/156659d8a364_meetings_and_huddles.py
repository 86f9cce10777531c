"""meetings and huddles

Revision ID: 156659d8a364
Revises: 8d3f4b6a1c27
Create Date: 2026-12-02 05:46:01.852652

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '156659d8a364'
down_revision = '8d3f4b6a1c27'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting_spot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.CheckConstraint('capacity >= 1 AND capacity <= 500', name=op.f('ck_meeting_spot_sane_capacity')),
    sa.ForeignKeyConstraint(['conference_id'], ['conference.id'], name=op.f('fk_meeting_spot_conference_id_conference'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_spot')),
    sa.UniqueConstraint('conference_id', 'name', name=op.f('uq_meeting_spot_conference_id'))
    )
    with op.batch_alter_table('meeting_spot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_spot_conference_id'), ['conference_id'], unique=False)

    op.create_table('meeting_time',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.CheckConstraint('minutes >= 5 AND minutes <= 240', name=op.f('ck_meeting_time_sane_minutes')),
    sa.ForeignKeyConstraint(['conference_id'], ['conference.id'], name=op.f('fk_meeting_time_conference_id_conference'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_time')),
    sa.UniqueConstraint('conference_id', 'starts_at', name=op.f('uq_meeting_time_conference_id'))
    )
    with op.batch_alter_table('meeting_time', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_time_conference_id'), ['conference_id'], unique=False)

    op.create_table('calendar_feed',
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_calendar_feed_attendee_id_attendee'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('attendee_id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash'))
    )
    op.create_table('huddle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.String(length=160), nullable=False),
    sa.Column('time_id', sa.Integer(), nullable=False),
    sa.Column('spot_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint('size >= 3 AND size <= 8', name=op.f('ck_huddle_sane_size')),
    sa.ForeignKeyConstraint(['conference_id'], ['conference.id'], name=op.f('fk_huddle_conference_id_conference'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['host_id'], ['attendee.id'], name=op.f('fk_huddle_host_id_attendee'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['spot_id'], ['meeting_spot.id'], name=op.f('fk_huddle_spot_id_meeting_spot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['time_id'], ['meeting_time.id'], name=op.f('fk_huddle_time_id_meeting_time'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_huddle'))
    )
    with op.batch_alter_table('huddle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_huddle_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_huddle_host_id'), ['host_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_huddle_time_id'), ['time_id'], unique=False)

    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('asker_id', sa.Integer(), nullable=False),
    sa.Column('invitee_id', sa.Integer(), nullable=False),
    sa.Column('time_id', sa.Integer(), nullable=False),
    sa.Column('spot_id', sa.Integer(), nullable=False),
    sa.Column('table_no', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint("state IN ('requested', 'accepted', 'declined', 'countered', 'cancelled')", name=op.f('ck_meeting_known_state')),
    sa.CheckConstraint('asker_id <> invitee_id', name=op.f('ck_meeting_not_self')),
    sa.ForeignKeyConstraint(['asker_id'], ['attendee.id'], name=op.f('fk_meeting_asker_id_attendee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['attendee.id'], name=op.f('fk_meeting_cancelled_by_id_attendee'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conference_id'], ['conference.id'], name=op.f('fk_meeting_conference_id_conference'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invitee_id'], ['attendee.id'], name=op.f('fk_meeting_invitee_id_attendee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaces_id'], ['meeting.id'], name=op.f('fk_meeting_replaces_id_meeting'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['spot_id'], ['meeting_spot.id'], name=op.f('fk_meeting_spot_id_meeting_spot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['time_id'], ['meeting_time.id'], name=op.f('fk_meeting_time_id_meeting_time'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting'))
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_asker_state', ['asker_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_conference_id'), ['conference_id'], unique=False)
        batch_op.create_index('ix_meeting_invitee_state', ['invitee_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_time_id'), ['time_id'], unique=False)

    op.create_table('meeting_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('about_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['about_id'], ['attendee.id'], name=op.f('fk_meeting_notice_about_id_attendee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_meeting_notice_attendee_id_attendee'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_notice'))
    )
    with op.batch_alter_table('meeting_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_notice_attendee_id'), ['attendee_id'], unique=False)

    op.create_table('booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('time_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('huddle_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(meeting_id IS NULL) <> (huddle_id IS NULL)', name=op.f('ck_booking_meeting_or_huddle')),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_booking_attendee_id_attendee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['huddle_id'], ['huddle.id'], name=op.f('fk_booking_huddle_id_huddle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_booking_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['time_id'], ['meeting_time.id'], name=op.f('fk_booking_time_id_meeting_time'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking')),
    sa.UniqueConstraint('attendee_id', 'time_id', name=op.f('uq_booking_attendee_id'))
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_huddle_id'), ['huddle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_time_id'), ['time_id'], unique=False)

    op.create_table('huddle_interest',
    sa.Column('huddle_id', sa.Integer(), nullable=False),
    sa.Column('interest_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['huddle_id'], ['huddle.id'], name=op.f('fk_huddle_interest_huddle_id_huddle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interest_id'], ['interest.id'], name=op.f('fk_huddle_interest_interest_id_interest'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('huddle_id', 'interest_id', name=op.f('pk_huddle_interest'))
    )
    with op.batch_alter_table('huddle_interest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_huddle_interest_interest_id'), ['interest_id'], unique=False)

    op.create_table('huddle_seat',
    sa.Column('huddle_id', sa.Integer(), nullable=False),
    sa.Column('seat_no', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('seat_no >= 1 AND seat_no <= 8', name=op.f('ck_huddle_seat_seat_in_range')),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_huddle_seat_attendee_id_attendee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['huddle_id'], ['huddle.id'], name=op.f('fk_huddle_seat_huddle_id_huddle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('huddle_id', 'seat_no', name=op.f('pk_huddle_seat')),
    sa.UniqueConstraint('huddle_id', 'attendee_id', name=op.f('uq_huddle_seat_huddle_id'))
    )
    with op.batch_alter_table('huddle_seat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_huddle_seat_attendee_id'), ['attendee_id'], unique=False)

    op.create_table('huddle_waiting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('huddle_id', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_huddle_waiting_attendee_id_attendee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['huddle_id'], ['huddle.id'], name=op.f('fk_huddle_waiting_huddle_id_huddle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_huddle_waiting')),
    sa.UniqueConstraint('huddle_id', 'attendee_id', name=op.f('uq_huddle_waiting_huddle_id'))
    )
    with op.batch_alter_table('huddle_waiting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_huddle_waiting_attendee_id'), ['attendee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_huddle_waiting_huddle_id'), ['huddle_id'], unique=False)

    op.create_table('table_booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spot_id', sa.Integer(), nullable=False),
    sa.Column('time_id', sa.Integer(), nullable=False),
    sa.Column('table_no', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('huddle_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(meeting_id IS NULL) <> (huddle_id IS NULL)', name=op.f('ck_table_booking_meeting_or_huddle')),
    sa.CheckConstraint('table_no >= 1', name=op.f('ck_table_booking_table_in_range')),
    sa.ForeignKeyConstraint(['huddle_id'], ['huddle.id'], name=op.f('fk_table_booking_huddle_id_huddle'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_table_booking_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['spot_id'], ['meeting_spot.id'], name=op.f('fk_table_booking_spot_id_meeting_spot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['time_id'], ['meeting_time.id'], name=op.f('fk_table_booking_time_id_meeting_time'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_table_booking')),
    sa.UniqueConstraint('huddle_id', name=op.f('uq_table_booking_huddle_id')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_table_booking_meeting_id')),
    sa.UniqueConstraint('spot_id', 'time_id', 'table_no', name=op.f('uq_table_booking_spot_id'))
    )
    with op.batch_alter_table('table_booking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_table_booking_time_id'), ['time_id'], unique=False)

    # In place (no batch copy of attendee: SQLite's triggers name it).
    op.add_column('attendee', sa.Column('meeting_requests', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade():
    op.drop_column('attendee', 'meeting_requests')

    with op.batch_alter_table('table_booking', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_table_booking_time_id'))

    op.drop_table('table_booking')
    with op.batch_alter_table('huddle_waiting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_huddle_waiting_huddle_id'))
        batch_op.drop_index(batch_op.f('ix_huddle_waiting_attendee_id'))

    op.drop_table('huddle_waiting')
    with op.batch_alter_table('huddle_seat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_huddle_seat_attendee_id'))

    op.drop_table('huddle_seat')
    with op.batch_alter_table('huddle_interest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_huddle_interest_interest_id'))

    op.drop_table('huddle_interest')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_time_id'))
        batch_op.drop_index(batch_op.f('ix_booking_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_booking_huddle_id'))

    op.drop_table('booking')
    with op.batch_alter_table('meeting_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_notice_attendee_id'))

    op.drop_table('meeting_notice')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_time_id'))
        batch_op.drop_index('ix_meeting_invitee_state')
        batch_op.drop_index(batch_op.f('ix_meeting_conference_id'))
        batch_op.drop_index('ix_meeting_asker_state')

    op.drop_table('meeting')
    with op.batch_alter_table('huddle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_huddle_time_id'))
        batch_op.drop_index(batch_op.f('ix_huddle_host_id'))
        batch_op.drop_index(batch_op.f('ix_huddle_conference_id'))

    op.drop_table('huddle')
    op.drop_table('calendar_feed')
    with op.batch_alter_table('meeting_time', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_time_conference_id'))

    op.drop_table('meeting_time')
    with op.batch_alter_table('meeting_spot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_spot_conference_id'))

    op.drop_table('meeting_spot')
