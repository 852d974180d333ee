from core.daycodes import secret_digits


def test_codes_are_digits_only_the_secret_makes_and_do_not_change():
    code = secret_digits("secret-a", "shift:7:2026-11-16")
    assert len(code) == 6 and code.isdigit()
    assert code == secret_digits("secret-a", "shift:7:2026-11-16")  # the same code on every look
    assert code != secret_digits("secret-b", "shift:7:2026-11-16")  # another roster's secret
    assert code != secret_digits("secret-a", "shift:7:2026-11-17")  # another day
    assert len(secret_digits("secret-a", "x", 4)) == 4
    # The scheme printed codes were made with stays the same (HMAC-SHA256, 12 hex digits, mod 10^n).
    assert secret_digits("k", "m") == "052322"
