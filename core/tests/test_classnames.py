import pytest

from core.classnames import InvalidClassName, class_aliases, format_class_name, parse_class_name


@pytest.mark.parametrize(
    "raw",
    [
        "三年级2班",
        "三(2)班",
        "三（2）班",
        "3年级2班",
        "3(2)班",
        "三年级二班",
        "三年级(2)班",
        " 三年级 2 班 ",
        "3.2班",
        "3-2",
        "３年级２班",
    ],
)
def test_every_way_schools_write_a_class(raw):
    assert parse_class_name(raw) == (3, 2)


def test_two_digit_class_numbers():
    assert parse_class_name("六年级十二班") == (6, 12)
    assert parse_class_name("6(12)班") == (6, 12)


@pytest.mark.parametrize("raw", ["", "三班", "七年级1班", "0年级1班", "三年级0班", "初三(2)班", "二年级", "abc"])
def test_names_that_cannot_be_understood(raw):
    with pytest.raises(InvalidClassName):
        parse_class_name(raw)


def test_five_grade_school():
    with pytest.raises(InvalidClassName):
        parse_class_name("六年级1班", max_grade=5)


def test_display_name_and_aliases_round_trip():
    assert format_class_name(3, 2) == "三年级2班"
    aliases = class_aliases(3, 2)
    assert aliases[0] == "三年级2班"
    assert "三(2)班" in aliases and "3年级2班" in aliases
    assert all(parse_class_name(a) == (3, 2) for a in aliases)
