"""Phone numbers in E.164, read in the call center's country unless they carry their own."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError


class InvalidPhoneNumberError(ApplicationError):
    code = "invalid_phone"


def phone_normalize(raw: str, *, region: str | None = None) -> str:
    """Return `raw` as E.164 (`+14155550123`); raise InvalidPhoneNumberError saying why not."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumberError(_("Enter a phone number."))
    try:
        parsed = phonenumbers.parse(text, region or settings.DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumberError(_("“%(number)s” is not a phone number.") % {"number": text}) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumberError(
            _("“%(number)s” is not a valid number in %(region)s; add the country code (+…).")
            % {"number": text, "region": region or settings.DEFAULT_REGION}
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
