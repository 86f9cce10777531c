from flask_wtf import FlaskForm
from wtforms import StringField

from conference.attendees.forms import IdListField
from conference.circles.models import Circle
from conference.lengths import max_length


class CircleForm(FlaskForm):
    # Length and uniqueness are the operation's to check, with a message that says which.
    name = StringField("Name", description="For example: Early-career principals, Region 5",
                       render_kw={"maxlength": max_length(Circle.name)})


class MembersForm(FlaskForm):
    members = IdListField("Contacts", default=set)
