from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class DeleteAccountForm(FlaskForm):
    confirm = BooleanField("I understand: my profile, my contacts and my notes are deleted for good",
                           validators=[DataRequired("Tick the box to confirm that you want to delete your account.")])
