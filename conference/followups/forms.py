from flask_wtf import FlaskForm
from wtforms import StringField


class FollowUpForm(FlaskForm):
    # The due date is a string here: the operation parses it and says what was wrong.
    text = StringField("To do", description="For example: send our master schedule template")
    due_on = StringField("Due")
