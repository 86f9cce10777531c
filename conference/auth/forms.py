from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField
from wtforms.validators import Email, InputRequired, Length


class SignInForm(FlaskForm):
    email = EmailField("Your email", filters=[lambda v: v.strip() if v else v], validators=[
        InputRequired("Enter the email you joined with."),
        Length(max=254, message="That email is too long."),
        Email("Enter an email address like name@school.org.", check_deliverability=False)])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """Carries only the CSRF token for one-button POSTs."""
