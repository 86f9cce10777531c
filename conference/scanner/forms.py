from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField

from conference.contacts.operations import NOTE_LIMIT


class ScanSaveForm(FlaskForm):
    # `uuid` is made when the card is shown, so sending the form twice saves once.
    code = HiddenField()
    uuid = HiddenField()
    note = TextAreaField("Note", description="Only you see this. What did you talk about? What did you promise?",
                         render_kw={"maxlength": NOTE_LIMIT})
