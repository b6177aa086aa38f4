"""Mobile phone numbers, kept in E.164 so the same phone is always the same string (search, SMS, mobile money)."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator


def to_e164(raw: str) -> str:
    """The E.164 form of an international number, or ValueError saying what is wrong."""
    text = raw.strip()
    if not text.startswith("+"):
        raise ValueError("give the number in international form, starting with + and the country code")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise ValueError("is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# A request field: invalid numbers are a 422 naming the field.
Phone = Annotated[str, AfterValidator(to_e164)]
