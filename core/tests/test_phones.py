import pytest

from core.phones import InvalidPhone, mask_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "8613812345678",
        "008613812345678",
        "１３８１２３４５６７８",
        "13812345678.0",
        13812345678,
        13812345678.0,
        " 138（1234）5678 ",
    ],
)
def test_normalize_phone_accepts_how_rosters_write_numbers(raw):
    assert normalize_phone(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw", ["", None, "1381234567", "138123456789", "23812345678", "12012345678", "abc", 1.5, "010-12345678"]
)
def test_normalize_phone_refuses_impossible_numbers(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("123") == "***"
