"""imported emails in normal form: a punycode domain stored by the importer becomes the Unicode form joining stores

Revision ID: 1be43217b428
Revises: 6f49332a2c69
Create Date: 2026-12-02 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1be43217b428'
down_revision = '6f49332a2c69'
branch_labels = None
depends_on = None


def upgrade():
    from conference.attendees.channels import BadChannel, normalise_email

    connection = op.get_bind()
    attendee = sa.table('attendee', sa.column('id', sa.Integer), sa.column('conference_id', sa.Integer),
                        sa.column('email', sa.String))
    rows = connection.execute(sa.select(attendee.c.id, attendee.c.conference_id, attendee.c.email)
                              .where(attendee.c.email.like('%xn--%'))).all()
    for row in rows:
        try:
            email = normalise_email(row.email)
        except BadChannel:
            continue
        taken = connection.execute(sa.select(attendee.c.id).where(
            attendee.c.conference_id == row.conference_id, attendee.c.email == email)).first()
        # Where the same person has both spellings already, both rows stay for the organizer to merge.
        if email != row.email and taken is None:
            connection.execute(sa.update(attendee).where(attendee.c.id == row.id).values(email=email))


def downgrade():
    pass  # the normal form is what every later revision expects
