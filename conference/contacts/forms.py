from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField


class SaveContactForm(FlaskForm):
    # Lengths are checked by the operation, which says how long the note was.
    note = TextAreaField("Note", description="Only you see this. What did you talk about? What did you promise?")
    tags = StringField("Tags", description="Separated by commas: mentor, scheduling")
    next = HiddenField()


class NoteForm(FlaskForm):
    note = TextAreaField("Note")
    tags = StringField("Tags", description="Separated by commas")
