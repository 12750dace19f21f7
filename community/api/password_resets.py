"""Account recovery and proof of address: password reset links (ask for one: anyone; use
it: whoever holds it) and email confirmation links."""

from flask_login import current_user

from ..errors import NotAuthenticated
from ..ratelimits import confirm_limits, email_change_limits, reset_limits
from ..services import email_verification, password_resets
from . import bp
from .io import documented, parse
from .schemas import EmailChangeIn, NewPasswordIn, PasswordResetIn


@bp.post("/password-resets")
@reset_limits
@documented("Email a single-use password reset link; the same answer whether or not an "
            "account uses the address", body=PasswordResetIn,
            responses={202: "Accepted: if an active account uses the address, a link is on "
                            "its way"})
def request_password_reset():
    data = parse(PasswordResetIn)
    password_resets.request_password_reset(data.email)
    return "", 202


@bp.post("/password-resets/<token>")
@documented("Set a new password with the token of a reset link; ends every session and API "
            "token of the member", body=NewPasswordIn,
            responses={204: "Password changed"})
def reset_password(token: str):
    data = parse(NewPasswordIn)
    password_resets.reset_password(token, data.password)
    return "", 204


@bp.post("/me/email-confirmation")
@confirm_limits
@documented("Send the confirmation email again (the address is not confirmed yet)",
            auth="member", responses={202: "Sent"})
def resend_confirmation():
    if not current_user.is_authenticated:
        raise NotAuthenticated("Log in or send an API token.")
    email_verification.resend_confirmation(current_user)
    return "", 202


@bp.put("/me/email")
@email_change_limits
@documented("Ask to change the caller's email address (their password required): a link goes "
            "to the new address, a notice to the current one; nothing changes until the link "
            "is used", auth="member", body=EmailChangeIn,
            responses={202: "Asked: the confirmation link is on its way"})
def change_email():
    if not current_user.is_authenticated:
        raise NotAuthenticated("Log in or send an API token.")
    data = parse(EmailChangeIn)
    email_verification.request_email_change(current_user, data.email, data.password)
    return "", 202


@bp.post("/email-confirmations/<token>")
@documented("Confirm an email address with the token of a confirmation link",
            responses={204: "Confirmed (or confirmed already)"})
def confirm_email(token: str):
    email_verification.confirm_email(token)
    return "", 204
