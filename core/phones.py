"""Mainland China mobile numbers, as parents and rosters write them.

Schools write the same number as ``138 1234 5678``, ``138-1234-5678``, ``+86 13812345678``,
``8613812345678``, full-width ``１３８１２３４５６７８`` or, from Excel, ``13812345678.0``. We store
one form, the 11 digits, and show it masked (``138****5678``) to anyone who does not need it.
"""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212().（）·]")


class InvalidPhone(ValueError):
    message = _("Enter a valid mainland China mobile number (11 digits, starting with 1).")


def normalize_phone(raw: object) -> str:
    """Return the 11-digit form of a mainland mobile number or raise InvalidPhone."""
    if raw is None:
        raise InvalidPhone(str(raw))
    if isinstance(raw, float):
        if not raw.is_integer():
            raise InvalidPhone(str(raw))
        raw = int(raw)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if text.endswith(".0"):
        text = text[:-2]
    text = _SEPARATORS.sub("", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not _MOBILE.match(text):
        raise InvalidPhone(text)
    return text


def is_phone(raw: object) -> bool:
    try:
        normalize_phone(raw)
    except InvalidPhone:
        return False
    return True


def mask_phone(phone: str) -> str:
    """138****5678: enough for a parent to recognise their own number, not enough to call it."""
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[7:]}"
