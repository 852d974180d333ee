"""Class names the way Chinese primary schools write them.

The display name is ``三年级2班``; the same class is written ``三(2)班``, ``三（2）班``, ``3年级2班``,
``3(2)班``, ``三年级二班`` or ``3.2班`` in rosters and messages. ``parse_class_name`` reads all of
them into (grade, number); ``class_aliases`` lists the written forms for search and import.
"""

import re
import unicodedata

GRADE_NAMES = ["一", "二", "三", "四", "五", "六", "七", "八", "九"]
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


class InvalidClassName(ValueError):
    pass


def _number(text: str) -> int:
    """Arabic digits or Chinese numerals up to 99 (十, 十二, 二十一)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, units = text.partition("十")
        value = (_CN_DIGITS[tens] if tens else 1) * 10
        return value + (_CN_DIGITS[units] if units else 0)
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    raise KeyError(text)


_NUM = r"(\d{1,2}|[一二三四五六七八九十两〇零]{1,3})"
_PATTERNS = [
    re.compile(rf"^{_NUM}年级?{_NUM}班$"),  # 三年级2班, 3年级2班, 三年2班
    re.compile(rf"^{_NUM}年级?\({_NUM}\)班?$"),  # 三年级(2)班
    re.compile(rf"^{_NUM}\({_NUM}\)班?$"),  # 三(2)班, 3(2)
    re.compile(rf"^{_NUM}[.\-/]{_NUM}班?$"),  # 3.2班, 3-2
]


def grade_name(grade: int) -> str:
    return f"{GRADE_NAMES[grade - 1]}年级"


def format_class_name(grade: int, number: int) -> str:
    return f"{grade_name(grade)}{number}班"


def parse_class_name(raw: str, *, max_grade: int = 6) -> tuple[int, int]:
    """Return (grade, number) for any written form of a class name, or raise InvalidClassName."""
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    text = re.sub(r"\s+", "", text)
    for pattern in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        try:
            grade, number = _number(match.group(1)), _number(match.group(2))
        except KeyError:
            break
        if 1 <= grade <= max_grade and 1 <= number <= 99:
            return grade, number
        break
    raise InvalidClassName(raw)


def class_aliases(grade: int, number: int) -> list[str]:
    """Every common written form of one class, the display name first."""
    cn = GRADE_NAMES[grade - 1]
    return [
        format_class_name(grade, number),
        f"{cn}({number})班",
        f"{cn}（{number}）班",
        f"{grade}年级{number}班",
        f"{grade}({number})班",
    ]
