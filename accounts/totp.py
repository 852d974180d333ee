"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), as authenticator apps make them:
HMAC-SHA1, 6 digits, 30-second steps. Written here in a few lines with ``hmac`` rather than taken
from django-otp: Tongxin needs one kind of device, its own replay rule and its own limiter.

Pure functions, no database: ``accounts.actions`` keeps the secret and the last step used."""

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
# A code of the step before or after the current one is accepted too: a phone's clock a little off,
# or a code typed as it changed.
DRIFT_STEPS = 1
ISSUER = "同心 Tongxin"


def new_secret() -> str:
    """160 random bits, base32 without padding (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def code_at(secret: str, step: int) -> str:
    """The HOTP value of ``step`` (RFC 4226 section 5.3, dynamic truncation)."""
    digest = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def matching_step(secret: str, code: str, *, after_step: int = -1, now: float | None = None) -> int | None:
    """The step whose code ``code`` is, within the drift window, or None. Steps up to ``after_step``
    are refused: a code that signed in once cannot sign in again (an onlooker's replay)."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    step = current_step(now)
    found = None
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        # Compare every candidate (constant work whichever matches).
        if hmac.compare_digest(code_at(secret, candidate), code) and candidate > after_step:
            found = candidate
    return found


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    label = f"{quote(ISSUER)}:{quote(account)}"
    query = urlencode({"secret": secret, "issuer": ISSUER, "digits": DIGITS, "period": STEP_SECONDS}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"
