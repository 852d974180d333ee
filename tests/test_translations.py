"""The Simplified Chinese catalogue is complete, consistent with the code and compiled.

Simplified Chinese is the default language, so an untranslated string shows English to a
grandparent reading on a phone. These tests read locale/zh_Hans/LC_MESSAGES/django.po with a
small parser (no dependency beyond the standard library) and check:

* every entry has a translation and none is fuzzy, and the placeholders agree;
* the committed .mo gives back exactly those translations (it is compiled and up to date);
* a few wordings that other tests and the SMS text rely on;
* with TONGXIN_CHECK_MESSAGES=1 (needs GNU gettext), every msgid in the code is in the catalogue.
"""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

BASE_DIR = Path(settings.BASE_DIR)
ZH_PO = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = ZH_PO.with_suffix(".mo")
EN_MO = BASE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.mo"


# --- a small .po reader -------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a quoted string: {text!r}"
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return " ".join(self.references) or "?"

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural[i] for i in sorted(self.msgstr_plural)] or [""]


def parse_po(text: str) -> tuple[dict[str, str], list[Entry]]:
    """Return (header fields, entries). Obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    for block in re.split(r"\n[ \t]*\n", text.strip("\n")):
        entry, key, seen = Entry(), None, False
        for line in block.splitlines():
            if line.startswith("#~"):
                seen = False
                break
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            elif line.startswith("#:"):
                entry.references += line[2:].split()
            elif line.startswith("#"):
                continue
            elif m := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$', line):
                key, value = m.group(1), _unquote(m.group(3))
                if m.group(2) is not None:
                    key = int(m.group(2))
                    entry.msgstr_plural[key] = value
                else:
                    setattr(entry, key, value)
                seen = seen or key == "msgid"
            elif line.startswith('"') and key is not None:
                if isinstance(key, int):
                    entry.msgstr_plural[key] += _unquote(line)
                else:
                    setattr(entry, key, getattr(entry, key) + _unquote(line))
            else:
                raise ValueError(f"cannot read this .po line: {line!r}")
        if seen:
            entries.append(entry)
    assert entries and entries[0].msgid == "", "the catalogue has no header entry"
    header_entry = entries.pop(0)
    header = dict(line.split(":", 1) for line in header_entry.msgstr.splitlines() if ":" in line)
    header = {k.strip(): v.strip() for k, v in header.items()}
    header["#fuzzy"] = "yes" if "fuzzy" in header_entry.flags else "no"
    return header, entries


# printf-style named (%(name)s, %(count)d, %(x)05.1f …), unnamed (%s, %d) and template ({{ x }}).
_NAMED = re.compile(r"%\((\w+)\)[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_UNNAMED = re.compile(r"%[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_TEMPLATE = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")


def placeholders(text: str, python_format: bool) -> tuple[frozenset[str], frozenset[str], int]:
    text_wo_percent = text.replace("%%", "")
    named = frozenset(_NAMED.findall(text_wo_percent))
    unnamed = len(_UNNAMED.findall(_NAMED.sub("", text_wo_percent))) if python_format else 0
    return named, frozenset(_TEMPLATE.findall(text)), unnamed


def load(path: Path = ZH_PO) -> tuple[dict[str, str], list[Entry]]:
    return parse_po(path.read_text(encoding="utf-8"))


# --- (a) the catalogue itself ---------------------------------------------------------------------


def test_catalogue_header():
    header, entries = load()
    assert entries, "the zh_Hans catalogue is empty"
    assert header["#fuzzy"] == "no", "the header entry is marked fuzzy; msgfmt would drop it"
    assert header.get("Language") == "zh_Hans"
    assert "charset=UTF-8" in header.get("Content-Type", "")
    assert header.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"


def test_every_entry_is_translated_and_not_fuzzy():
    _, entries = load()
    fuzzy = [f"{e.where}: {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    empty = [f"{e.where}: {e.msgid!r}" for e in entries if not all(t.strip() for t in e.translations)]
    assert not fuzzy, "fuzzy entries (check the translation, then remove the flag):\n" + "\n".join(fuzzy)
    assert not empty, "untranslated entries:\n" + "\n".join(empty)


def test_plural_entries_have_exactly_one_form():
    _, entries = load()
    wrong = [e.msgid for e in entries if e.msgid_plural is not None and sorted(e.msgstr_plural) != [0]]
    assert not wrong, f"Chinese has one plural form; give msgstr[0] only: {wrong}"


def test_placeholders_match():
    _, entries = load()
    problems = []
    for e in entries:
        python_format = "python-format" in e.flags
        source = e.msgid if e.msgid_plural is None else e.msgid_plural
        expected = placeholders(source, python_format)
        for t in e.translations:
            got = placeholders(t, python_format)
            if got != expected:
                problems.append(f"{e.where}: {e.msgid!r} → {t!r}: expected {expected}, got {got}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_no_english_left_in_translations():
    """A translation that is still the English msgid is a forgotten one (names like WPS are fine)."""
    _, entries = load()
    same = [
        e.msgid for e in entries if e.msgid_plural is None and e.msgstr == e.msgid and re.search("[a-z]{3}", e.msgid)
    ]
    assert not same, f"msgstr equals the English msgid: {same}"


# --- (b) the compiled catalogue -------------------------------------------------------------------


def test_mo_files_are_committed_next_to_the_po_files():
    assert ZH_MO.exists(), "run `manage.py compilemessages --ignore=.venv` and commit the .mo"
    assert EN_MO.exists(), "run `manage.py compilemessages --ignore=.venv` and commit the .mo"


def test_compiled_catalogue_matches_the_po():
    """gettext gives back every msgstr of the .po: the committed .mo is compiled and up to date."""
    _, entries = load()
    stale = []
    with translation.override("zh-hans"):
        for e in entries:
            if e.msgid_plural is not None:
                for n in (1, 2, 5):
                    if e.msgctxt is None:
                        got = translation.ngettext(e.msgid, e.msgid_plural, n)
                    else:
                        got = translation.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
                    if got != e.msgstr_plural.get(0):
                        stale.append(f"{e.msgid!r} (n={n}) → {got!r}, the .po says {e.msgstr_plural.get(0)!r}")
                continue
            got = translation.gettext(e.msgid) if e.msgctxt is None else translation.pgettext(e.msgctxt, e.msgid)
            if got != e.msgstr:
                stale.append(f"{e.msgid!r} → {got!r}, the .po says {e.msgstr!r}")
    assert not stale, (
        "the compiled .mo does not match the .po; run `manage.py compilemessages --ignore=.venv` and commit it:\n"
        + "\n".join(stale)
    )


# Wordings other tests, the SMS gateway template and the page title rely on.
FIXED_WORDINGS = {
    "The mobile number, username or password is not right.": "手机号、用户名或密码不正确。",
    "Too many failed attempts. Wait 15 minutes, or sign in with a code sent by SMS.": (
        "尝试次数过多。请 15 分钟后再试，或使用短信验证码登录。"
    ),
    "If this number is registered with a school, a code is on its way. It is valid for 10 minutes.": (
        "如果该手机号已在学校登记，验证码已发出，10 分钟内有效。"
    ),
    "The code is wrong or has expired. Ask for a new code.": "验证码错误或已过期，请重新获取。",
    "A code was sent recently. Please wait a minute before asking again.": "验证码刚刚发送过，请稍等一分钟再试。",
    "Enter a valid mainland China mobile number (11 digits, starting with 1).": (
        "请输入有效的中国大陆手机号（以 1 开头的 11 位数字）。"
    ),
    "[Tongxin] Your sign-in code is %(code)s. It is valid for 10 minutes. Do not share it.": (
        "【同心】您的登录验证码是 %(code)s，10 分钟内有效，请勿告诉他人。"
    ),
    "Tongxin": "同心",
    "Tongxin home–school": "同心家校",
}


@pytest.mark.parametrize(("msgid", "expected"), FIXED_WORDINGS.items(), ids=list(FIXED_WORDINGS))
def test_fixed_wordings(msgid, expected):
    with translation.override("zh-hans"):
        assert translation.gettext(msgid) == expected


def test_default_language_is_chinese_and_english_stays_english():
    msgid = "The mobile number, username or password is not right."
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override(settings.LANGUAGE_CODE):
        assert translation.gettext(msgid) == FIXED_WORDINGS[msgid]
    with translation.override("en"):
        assert translation.gettext(msgid) == msgid
        assert translation.gettext("Tongxin") == "Tongxin"


def test_sms_text_formats():
    with translation.override("zh-hans"):
        text = translation.gettext(
            "[Tongxin] Your sign-in code is %(code)s. It is valid for 10 minutes. Do not share it."
        ) % {"code": "123456"}
    assert text == "【同心】您的登录验证码是 123456，10 分钟内有效，请勿告诉他人。"


# --- (c) the catalogue covers the code ----------------------------------------------------------


@pytest.mark.skipif(
    os.environ.get("TONGXIN_CHECK_MESSAGES") != "1",
    reason="set TONGXIN_CHECK_MESSAGES=1 to check that every msgid in the code is in the catalogue (needs gettext)",
)
def test_every_msgid_in_the_code_is_translated():
    """Run makemessages for real, read the fresh catalogue, then put the committed file back."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed")
    saved = ZH_PO.read_bytes()
    try:
        result = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "zh_Hans",
                "--no-obsolete",
                "--ignore=.venv",
                "--ignore=var",
                "--ignore=docs",
            ],
            cwd=BASE_DIR,
            env={**os.environ, "TONGXIN_TESTING": "1"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        _, fresh = load()
    finally:
        ZH_PO.write_bytes(saved)
    _, committed = load()

    key = lambda e: (e.msgctxt, e.msgid, e.msgid_plural)  # noqa: E731
    untranslated = [
        f"{e.where}: {e.msgid!r}" for e in fresh if "fuzzy" in e.flags or not all(t.strip() for t in e.translations)
    ]
    assert not untranslated, (
        "strings in the code with no (or only a fuzzy) Chinese translation; run makemessages, "
        "translate them in locale/zh_Hans/LC_MESSAGES/django.po and run compilemessages:\n" + "\n".join(untranslated)
    )
    stale = sorted({key(e) for e in committed} - {key(e) for e in fresh}, key=str)
    assert not stale, f"the catalogue has entries no longer in the code; run makemessages --no-obsolete: {stale}"
