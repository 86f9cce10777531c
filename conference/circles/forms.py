from flask_wtf import FlaskForm
from wtforms import StringField

from conference.attendees.forms import IdListField


class CircleForm(FlaskForm):
    # Length and uniqueness are the operation's to check, with a message that says which.
    name = StringField("Name", description="For example: Early-career principals, Region 5")


class MembersForm(FlaskForm):
    members = IdListField("Contacts", default=set)
