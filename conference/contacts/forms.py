from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from conference.contacts.operations import NOTE_LIMIT, TAGS_TYPED


class SaveContactForm(FlaskForm):
    # Lengths are checked by the operation, which says how long the note was.
    note = TextAreaField("Note", description="Only you see this. What did you talk about? What did you promise?",
                         render_kw={"maxlength": NOTE_LIMIT})
    tags = StringField("Tags", description="Separated by commas: mentor, scheduling",
                       render_kw={"maxlength": TAGS_TYPED})
    next = HiddenField()


class NoteForm(FlaskForm):
    note = TextAreaField("Note", render_kw={"maxlength": NOTE_LIMIT})
    tags = StringField("Tags", description="Separated by commas", render_kw={"maxlength": TAGS_TYPED})
