"""dashboard tallies: running counts of connections (by hour and roles, per attendee), kept by triggers

Revision ID: 35e73fdd1574
Revises: e1af9d726386
Create Date: 2026-11-29 00:25:38.889300

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '35e73fdd1574'
down_revision = 'e1af9d726386'
branch_labels = None
depends_on = None


# The statements of conference/organizer/tallies.py as of this revision (a later change to the
# triggers is a new revision).
TRIGGERS = {
    'postgresql': [
        "CREATE OR REPLACE FUNCTION tally_connection() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    PERFORM pg_advisory_xact_lock_shared(7304001, CASE WHEN TG_OP = 'DELETE' THEN OLD.conference_id\n                                                          ELSE NEW.conference_id END);\n    IF TG_OP = 'UPDATE' AND OLD.conference_id <> NEW.conference_id THEN\n        PERFORM pg_advisory_xact_lock_shared(7304001, OLD.conference_id);\n    END IF;\n    IF TG_OP IN ('UPDATE', 'DELETE') THEN\n        INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT OLD.conference_id, date_trunc('hour', OLD.created_at), o.role,\n               COALESCE((SELECT c.role FROM attendee c WHERE c.id = OLD.contact_id), ''), -1\n        FROM attendee o WHERE o.id = OLD.owner_id\n          AND EXISTS (SELECT 1 FROM conference WHERE id = OLD.conference_id);\n        INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by)\n        SELECT a.conference_id, a.id, CASE WHEN a.id = OLD.owner_id THEN -1 ELSE 0 END,\n               CASE WHEN a.id = OLD.contact_id THEN -1 ELSE 0 END\n        FROM attendee a WHERE a.id IN (OLD.owner_id, OLD.contact_id)\n          AND EXISTS (SELECT 1 FROM attendee o WHERE o.id = OLD.owner_id)\n          AND EXISTS (SELECT 1 FROM conference WHERE id = a.conference_id);\n    END IF;\n    IF TG_OP IN ('INSERT', 'UPDATE') THEN\n        INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT NEW.conference_id, date_trunc('hour', NEW.created_at), o.role,\n               COALESCE((SELECT c.role FROM attendee c WHERE c.id = NEW.contact_id), ''), 1\n        FROM attendee o WHERE o.id = NEW.owner_id\n          AND EXISTS (SELECT 1 FROM conference WHERE id = NEW.conference_id);\n        INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by)\n        SELECT a.conference_id, a.id, CASE WHEN a.id = NEW.owner_id THEN 1 ELSE 0 END,\n               CASE WHEN a.id = NEW.contact_id THEN 1 ELSE 0 END\n        FROM attendee a WHERE a.id IN (NEW.owner_id, NEW.contact_id)\n          AND EXISTS (SELECT 1 FROM attendee o WHERE o.id = NEW.owner_id)\n          AND EXISTS (SELECT 1 FROM conference WHERE id = a.conference_id);\n    END IF;\n    RETURN NULL;\nEND $$",
        "CREATE OR REPLACE FUNCTION tally_attendee() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF TG_OP = 'UPDATE' THEN\n        PERFORM pg_advisory_xact_lock(7304001, OLD.conference_id);\n        INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, date_trunc('hour', x.created_at), OLD.role, COALESCE(c.role, ''), -count(*)\n        FROM connection x LEFT JOIN attendee c ON c.id = x.contact_id\n        WHERE x.owner_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, date_trunc('hour', x.created_at), COALESCE(c.role, '');\n        INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, date_trunc('hour', x.created_at), NEW.role, COALESCE(c.role, ''), count(*)\n        FROM connection x LEFT JOIN attendee c ON c.id = x.contact_id\n        WHERE x.owner_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, date_trunc('hour', x.created_at), COALESCE(c.role, '');\n        INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, date_trunc('hour', x.created_at), o.role, OLD.role, -count(*)\n        FROM connection x JOIN attendee o ON o.id = x.owner_id\n        WHERE x.contact_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, date_trunc('hour', x.created_at), o.role;\n        INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, date_trunc('hour', x.created_at), o.role, NEW.role, count(*)\n        FROM connection x JOIN attendee o ON o.id = x.owner_id\n        WHERE x.contact_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, date_trunc('hour', x.created_at), o.role;\n        RETURN NEW;\n    END IF;\n    -- A deleted account changes no role: like a save, it only has to wait for role changes.\n    PERFORM pg_advisory_xact_lock_shared(7304001, OLD.conference_id);\n        INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, date_trunc('hour', x.created_at), OLD.role, COALESCE(c.role, ''), -count(*)\n        FROM connection x LEFT JOIN attendee c ON c.id = x.contact_id\n        WHERE x.owner_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, date_trunc('hour', x.created_at), COALESCE(c.role, '');\n        INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, date_trunc('hour', x.created_at), o.role, OLD.role, -count(*)\n        FROM connection x JOIN attendee o ON o.id = x.owner_id\n        WHERE x.contact_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, date_trunc('hour', x.created_at), o.role;\n        INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, date_trunc('hour', x.created_at), o.role, '', count(*)\n        FROM connection x JOIN attendee o ON o.id = x.owner_id\n        WHERE x.contact_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, date_trunc('hour', x.created_at), o.role;\n        INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by)\n        SELECT c.conference_id, c.id, 0, -count(*)\n        FROM connection x JOIN attendee c ON c.id = x.contact_id\n        WHERE x.owner_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = c.conference_id)\n        GROUP BY c.conference_id, c.id;\n        DELETE FROM attendee_tally WHERE attendee_id = OLD.id;\n    RETURN OLD;\nEND $$",
        'DROP TRIGGER IF EXISTS tally_connection ON connection',
        'CREATE TRIGGER tally_connection AFTER INSERT OR DELETE ON connection FOR EACH ROW EXECUTE FUNCTION tally_connection()',
        'DROP TRIGGER IF EXISTS tally_connection_moved ON connection',
        'CREATE TRIGGER tally_connection_moved AFTER UPDATE OF conference_id, owner_id, contact_id, created_at ON connection FOR EACH ROW WHEN (OLD.conference_id IS DISTINCT FROM NEW.conference_id OR OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.contact_id IS DISTINCT FROM NEW.contact_id OR OLD.created_at IS DISTINCT FROM NEW.created_at) EXECUTE FUNCTION tally_connection()',
        'DROP TRIGGER IF EXISTS tally_attendee_deleted ON attendee',
        'CREATE TRIGGER tally_attendee_deleted BEFORE DELETE ON attendee FOR EACH ROW EXECUTE FUNCTION tally_attendee()',
        'DROP TRIGGER IF EXISTS tally_attendee_role ON attendee',
        'CREATE TRIGGER tally_attendee_role BEFORE UPDATE OF role ON attendee FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role) EXECUTE FUNCTION tally_attendee()',
    ],
    'sqlite': [
        'DROP TRIGGER IF EXISTS tally_connection_added',
        "CREATE TRIGGER tally_connection_added AFTER INSERT ON connection FOR EACH ROW\nBEGIN\n    INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT NEW.conference_id, strftime('%Y-%m-%d %H:00:00.000000', NEW.created_at), o.role,\n               COALESCE((SELECT c.role FROM attendee c WHERE c.id = NEW.contact_id), ''), 1\n        FROM attendee o WHERE o.id = NEW.owner_id\n          AND EXISTS (SELECT 1 FROM conference WHERE id = NEW.conference_id);\n    INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by)\n        SELECT a.conference_id, a.id, CASE WHEN a.id = NEW.owner_id THEN 1 ELSE 0 END,\n               CASE WHEN a.id = NEW.contact_id THEN 1 ELSE 0 END\n        FROM attendee a WHERE a.id IN (NEW.owner_id, NEW.contact_id)\n          AND EXISTS (SELECT 1 FROM attendee o WHERE o.id = NEW.owner_id)\n          AND EXISTS (SELECT 1 FROM conference WHERE id = a.conference_id);\nEND",
        'DROP TRIGGER IF EXISTS tally_connection_removed',
        "CREATE TRIGGER tally_connection_removed AFTER DELETE ON connection FOR EACH ROW\nBEGIN\n    INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT OLD.conference_id, strftime('%Y-%m-%d %H:00:00.000000', OLD.created_at), o.role,\n               COALESCE((SELECT c.role FROM attendee c WHERE c.id = OLD.contact_id), ''), -1\n        FROM attendee o WHERE o.id = OLD.owner_id\n          AND EXISTS (SELECT 1 FROM conference WHERE id = OLD.conference_id);\n    INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by)\n        SELECT a.conference_id, a.id, CASE WHEN a.id = OLD.owner_id THEN -1 ELSE 0 END,\n               CASE WHEN a.id = OLD.contact_id THEN -1 ELSE 0 END\n        FROM attendee a WHERE a.id IN (OLD.owner_id, OLD.contact_id)\n          AND EXISTS (SELECT 1 FROM attendee o WHERE o.id = OLD.owner_id)\n          AND EXISTS (SELECT 1 FROM conference WHERE id = a.conference_id);\nEND",
        'DROP TRIGGER IF EXISTS tally_connection_moved',
        "CREATE TRIGGER tally_connection_moved AFTER UPDATE OF conference_id, owner_id, contact_id, created_at ON connection FOR EACH ROW WHEN OLD.conference_id IS NOT NEW.conference_id OR OLD.owner_id IS NOT NEW.owner_id OR OLD.contact_id IS NOT NEW.contact_id OR OLD.created_at IS NOT NEW.created_at\nBEGIN\n    INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT OLD.conference_id, strftime('%Y-%m-%d %H:00:00.000000', OLD.created_at), o.role,\n               COALESCE((SELECT c.role FROM attendee c WHERE c.id = OLD.contact_id), ''), -1\n        FROM attendee o WHERE o.id = OLD.owner_id\n          AND EXISTS (SELECT 1 FROM conference WHERE id = OLD.conference_id);\n    INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by)\n        SELECT a.conference_id, a.id, CASE WHEN a.id = OLD.owner_id THEN -1 ELSE 0 END,\n               CASE WHEN a.id = OLD.contact_id THEN -1 ELSE 0 END\n        FROM attendee a WHERE a.id IN (OLD.owner_id, OLD.contact_id)\n          AND EXISTS (SELECT 1 FROM attendee o WHERE o.id = OLD.owner_id)\n          AND EXISTS (SELECT 1 FROM conference WHERE id = a.conference_id);\n    INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT NEW.conference_id, strftime('%Y-%m-%d %H:00:00.000000', NEW.created_at), o.role,\n               COALESCE((SELECT c.role FROM attendee c WHERE c.id = NEW.contact_id), ''), 1\n        FROM attendee o WHERE o.id = NEW.owner_id\n          AND EXISTS (SELECT 1 FROM conference WHERE id = NEW.conference_id);\n    INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by)\n        SELECT a.conference_id, a.id, CASE WHEN a.id = NEW.owner_id THEN 1 ELSE 0 END,\n               CASE WHEN a.id = NEW.contact_id THEN 1 ELSE 0 END\n        FROM attendee a WHERE a.id IN (NEW.owner_id, NEW.contact_id)\n          AND EXISTS (SELECT 1 FROM attendee o WHERE o.id = NEW.owner_id)\n          AND EXISTS (SELECT 1 FROM conference WHERE id = a.conference_id);\nEND",
        'DROP TRIGGER IF EXISTS tally_attendee_role',
        "CREATE TRIGGER tally_attendee_role AFTER UPDATE OF role ON attendee FOR EACH ROW WHEN OLD.role IS NOT NEW.role\nBEGIN\n    INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), OLD.role, COALESCE(c.role, ''), -count(*)\n        FROM connection x LEFT JOIN attendee c ON c.id = x.contact_id\n        WHERE x.owner_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), COALESCE(c.role, '');\n    INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), NEW.role, COALESCE(c.role, ''), count(*)\n        FROM connection x LEFT JOIN attendee c ON c.id = x.contact_id\n        WHERE x.owner_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), COALESCE(c.role, '');\n    INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), o.role, OLD.role, -count(*)\n        FROM connection x JOIN attendee o ON o.id = x.owner_id\n        WHERE x.contact_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), o.role;\n    INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), o.role, NEW.role, count(*)\n        FROM connection x JOIN attendee o ON o.id = x.owner_id\n        WHERE x.contact_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), o.role;\nEND",
        'DROP TRIGGER IF EXISTS tally_attendee_deleted',
        "CREATE TRIGGER tally_attendee_deleted BEFORE DELETE ON attendee FOR EACH ROW\nBEGIN\n    INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), OLD.role, COALESCE(c.role, ''), -count(*)\n        FROM connection x LEFT JOIN attendee c ON c.id = x.contact_id\n        WHERE x.owner_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), COALESCE(c.role, '');\n    INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), o.role, OLD.role, -count(*)\n        FROM connection x JOIN attendee o ON o.id = x.owner_id\n        WHERE x.contact_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), o.role;\n    INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n)\n        SELECT x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), o.role, '', count(*)\n        FROM connection x JOIN attendee o ON o.id = x.owner_id\n        WHERE x.contact_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = x.conference_id)\n        GROUP BY x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), o.role;\n    INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by)\n        SELECT c.conference_id, c.id, 0, -count(*)\n        FROM connection x JOIN attendee c ON c.id = x.contact_id\n        WHERE x.owner_id = OLD.id AND EXISTS (SELECT 1 FROM conference WHERE id = c.conference_id)\n        GROUP BY c.conference_id, c.id;\n    DELETE FROM attendee_tally WHERE attendee_id = OLD.id;\nEND",
    ],
}
DROP = {
    'postgresql': ['DROP TRIGGER IF EXISTS tally_connection ON connection',
                   'DROP TRIGGER IF EXISTS tally_connection_moved ON connection',
                   'DROP TRIGGER IF EXISTS tally_attendee_deleted ON attendee',
                   'DROP TRIGGER IF EXISTS tally_attendee_role ON attendee',
                   'DROP FUNCTION IF EXISTS tally_connection()', 'DROP FUNCTION IF EXISTS tally_attendee()'],
    'sqlite': [f'DROP TRIGGER IF EXISTS {name}' for name in (
        'tally_connection_added', 'tally_connection_removed', 'tally_connection_moved', 'tally_attendee_role',
        'tally_attendee_deleted')],
}
RECOUNT = {
    'postgresql': ("INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n) SELECT x.conference_id, date_trunc('hour', x.created_at) AS hour, o.role AS owner_role, COALESCE(c.role, '') AS contact_role,\n               count(*) AS n\n        FROM connection x JOIN attendee o ON o.id = x.owner_id LEFT JOIN attendee c ON c.id = x.contact_id\n        WHERE 1 = 1\n        GROUP BY x.conference_id, date_trunc('hour', x.created_at), o.role, COALESCE(c.role, '')",
        'INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by) SELECT a.conference_id, a.id AS attendee_id, COALESCE(s.n, 0) AS saved, COALESCE(b.n, 0) AS saved_by\n        FROM attendee a\n        LEFT JOIN (SELECT owner_id, count(*) AS n FROM connection GROUP BY owner_id) s ON s.owner_id = a.id\n        LEFT JOIN (SELECT contact_id, count(*) AS n FROM connection WHERE contact_id IS NOT NULL\n                   GROUP BY contact_id) b ON b.contact_id = a.id\n        WHERE (s.n IS NOT NULL OR b.n IS NOT NULL)'),
    'sqlite': ("INSERT INTO connection_tally (conference_id, hour, owner_role, contact_role, n) SELECT x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at) AS hour, o.role AS owner_role, COALESCE(c.role, '') AS contact_role,\n               count(*) AS n\n        FROM connection x JOIN attendee o ON o.id = x.owner_id LEFT JOIN attendee c ON c.id = x.contact_id\n        WHERE 1 = 1\n        GROUP BY x.conference_id, strftime('%Y-%m-%d %H:00:00.000000', x.created_at), o.role, COALESCE(c.role, '')",
        'INSERT INTO attendee_tally (conference_id, attendee_id, saved, saved_by) SELECT a.conference_id, a.id AS attendee_id, COALESCE(s.n, 0) AS saved, COALESCE(b.n, 0) AS saved_by\n        FROM attendee a\n        LEFT JOIN (SELECT owner_id, count(*) AS n FROM connection GROUP BY owner_id) s ON s.owner_id = a.id\n        LEFT JOIN (SELECT contact_id, count(*) AS n FROM connection WHERE contact_id IS NOT NULL\n                   GROUP BY contact_id) b ON b.contact_id = a.id\n        WHERE (s.n IS NOT NULL OR b.n IS NOT NULL)'),
}


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('connection_tally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.DateTime(), nullable=False),
    sa.Column('owner_role', sa.String(length=32), nullable=False),
    sa.Column('contact_role', sa.String(length=32), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['conference_id'], ['conference.id'], name=op.f('fk_connection_tally_conference_id_conference'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connection_tally'))
    )
    with op.batch_alter_table('connection_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connection_tally_conference_id'), ['conference_id'], unique=False)

    op.create_table('attendee_tally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_id', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('saved', sa.Integer(), nullable=False),
    sa.Column('saved_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_attendee_tally_attendee_id_attendee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['conference_id'], ['conference.id'], name=op.f('fk_attendee_tally_conference_id_conference'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendee_tally'))
    )
    with op.batch_alter_table('attendee_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendee_tally_attendee_id'), ['attendee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendee_tally_conference_id'), ['conference_id'], unique=False)

    # ### end Alembic commands ###
    bind = op.get_bind()
    if bind.dialect.name in TRIGGERS:  # count what is there, then keep counting
        for statement in RECOUNT[bind.dialect.name] + tuple(TRIGGERS[bind.dialect.name]):
            bind.exec_driver_sql(statement)  # as written: "%H:00:00" holds no bind parameters


def downgrade():
    for statement in DROP.get(op.get_bind().dialect.name, []):
        op.get_bind().exec_driver_sql(statement)
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('attendee_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendee_tally_conference_id'))
        batch_op.drop_index(batch_op.f('ix_attendee_tally_attendee_id'))

    op.drop_table('attendee_tally')
    with op.batch_alter_table('connection_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connection_tally_conference_id'))

    op.drop_table('connection_tally')
    # ### end Alembic commands ###
