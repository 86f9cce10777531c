from flask_wtf import FlaskForm
from wtforms import StringField

from conference.followups.models import FollowUp
from conference.lengths import max_length


class FollowUpForm(FlaskForm):
    # The due date is a string here: the operation parses it and says what was wrong.
    text = StringField("To do", description="For example: send our master schedule template",
                       render_kw={"maxlength": max_length(FollowUp.text)})
    due_on = StringField("Due")
