"""Short numeric codes only a secret can make: the sign-in codes of events, volunteer activities and
duty shifts. One scheme for all of them, in core because those apps sit side by side and may not
import each other."""

import hashlib
import hmac


def secret_digits(secret: str, message: str, length: int = 6) -> str:
    """``length`` digits from the HMAC-SHA256 of ``message`` under ``secret`` (zero-padded)."""
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return str(int(digest[:12], 16) % 10**length).zfill(length)
