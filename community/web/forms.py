"""Browser forms: CSRF and field rendering. The rules themselves live in the services."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import InputRequired


class RegisterForm(FlaskForm):
    username = StringField("Username", [InputRequired()])
    email = EmailField("Email", [InputRequired()])
    password = PasswordField("Password", [InputRequired()])


class LoginForm(FlaskForm):
    login = StringField("Username or email", [InputRequired()])
    password = PasswordField("Password", [InputRequired()])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", [InputRequired()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", [InputRequired()])


class ProfileForm(FlaskForm):
    display_name = StringField("Display name")
    bio = TextAreaField("About you")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", [InputRequired()])
    new_password = PasswordField("New password", [InputRequired()])


class EmailChangeForm(FlaskForm):
    email = StringField("New email address", [InputRequired()])
    password = PasswordField("Current password", [InputRequired()])


class TokenForm(FlaskForm):
    name = StringField("Token name", [InputRequired()])
    # Asked only when the member has two-factor authentication on: a fresh second factor.
    code = StringField("Two-factor code")


class TwoFactorCodeForm(FlaskForm):
    code = StringField("Code", [InputRequired()])


class TwoFactorDisableForm(FlaskForm):
    password = PasswordField("Password", [InputRequired()])
    code = StringField("Code from your app, or a recovery code", [InputRequired()])


def show_errors(form: FlaskForm, fields: dict[str, str]) -> None:
    """Attach a service's per-field messages to the form fields they belong to."""
    for name, message in fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]


class ThreadForm(FlaskForm):
    title = StringField("Title", [InputRequired()])
    body = TextAreaField("Message", [InputRequired()])


class PostForm(FlaskForm):
    body = TextAreaField("Message", [InputRequired()])


class ThreadTitleForm(FlaskForm):
    title = StringField("Title", [InputRequired()])
