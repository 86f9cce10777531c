from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField
from wtforms.validators import Email, InputRequired

from conference.attendees.models import Attendee
from conference.lengths import fits


class SignInForm(FlaskForm):
    email = EmailField("Your email", filters=[lambda v: v.strip() if v else v], validators=[
        InputRequired("Enter the email you joined with."),
        fits(Attendee.email, "That email is too long."),
        Email("Enter an email address like name@school.org.", check_deliverability=False)])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """Carries only the CSRF token for one-button POSTs."""
