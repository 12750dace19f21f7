"""Site settings an admin changes."""

from .. import permissions
from ..errors import ValidationError
from ..extensions import db
from ..models import Setting
from ..queries.site import DEFAULT_SETTINGS
from .unit import use_case


@use_case
def update_settings(actor, **values: str) -> None:
    """Admins: change site settings such as the community's name and tagline."""
    permissions.require(actor, "administer")
    unknown = set(values) - set(DEFAULT_SETTINGS)
    if unknown:
        raise ValidationError("Unknown settings.", {k: "Unknown setting." for k in unknown})
    for key, value in values.items():
        value = value.strip()
        if not value or len(value) > 200:
            raise ValidationError("Invalid setting.", {key: "1–200 characters."})
        db.session.merge(Setting(key=key, value=value))
