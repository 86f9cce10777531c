"""connection.tags: a JSON list of tags instead of comma-separated text

Revision ID: 802878c5ac6c
Revises: e0d89f4cc458
Create Date: 2026-12-02 10:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '802878c5ac6c'
down_revision = 'e0d89f4cc458'
branch_labels = None
depends_on = None

# On SQLite the column is replaced by a new one (ADD, DROP and RENAME COLUMN) rather than by
# rebuilding the table, which would drop the tally triggers on connection.


def upgrade():
    # "scheduling,mentor" becomes ["scheduling", "mentor"]; "" becomes [].
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE connection ALTER COLUMN tags TYPE JSON USING "
                   "CASE WHEN tags = '' THEN '[]'::json ELSE to_json(string_to_array(tags, ',')) END")
        op.execute("ALTER TABLE connection ALTER COLUMN tags SET DEFAULT '[]'")
    else:
        op.execute("ALTER TABLE connection ADD COLUMN tags_list JSON NOT NULL DEFAULT '[]'")
        # json_quote escapes each tag's quotes and backslashes; the commas between tags stay as they are.
        op.execute("UPDATE connection SET tags_list = json('[' || replace(json_quote(tags), ',', '\",\"') || ']') "
                   "WHERE tags <> ''")
        op.execute("ALTER TABLE connection DROP COLUMN tags")
        op.execute("ALTER TABLE connection RENAME COLUMN tags_list TO tags")


def downgrade():
    # ["scheduling", "mentor"] back to "scheduling,mentor".
    postgresql = op.get_bind().dialect.name == 'postgresql'
    op.execute("ALTER TABLE connection ADD COLUMN tags_text VARCHAR(300) NOT NULL DEFAULT ''")
    if postgresql:
        op.execute("UPDATE connection SET tags_text = coalesce((SELECT string_agg(t.value, ',' ORDER BY t.position) "
                   "FROM json_array_elements_text(connection.tags) WITH ORDINALITY AS t(value, position)), '')")
    else:
        op.execute("UPDATE connection SET tags_text = coalesce((SELECT group_concat(value, ',') FROM "
                   "(SELECT value FROM json_each(connection.tags) ORDER BY key)), '')")
    op.execute("ALTER TABLE connection DROP COLUMN tags")
    op.execute("ALTER TABLE connection RENAME COLUMN tags_text TO tags")
    if postgresql:
        op.execute("ALTER TABLE connection ALTER COLUMN tags DROP DEFAULT")
