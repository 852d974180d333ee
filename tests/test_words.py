"""Words a newcomer tripped on (issue 13): a button says what it does, the audit log says how someone
signed in in the reader's language, a header does not break inside a word, and "optional" is said
once. Chinese wording is checked against the catalogue's own entries (pgettext/gettext under
zh-hans), so that the tests say which msgid a page uses, not what the translators chose."""

import importlib
import re
from pathlib import Path
from typing import get_args

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext, pgettext

from audit.models import SIGN_IN_METHODS, AuditEntry, SignInMethod
from conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("unscoped")


def test_the_parents_request_button_says_send_not_the_teachers_send_a_notice(cast):
    with translation.override("zh-hans"):
        page = cast.client(cast.alice).get("/family/records/").content.decode()
        request_button = pgettext("conversation request", "Send")
        menu = gettext("Send")  # the teacher's menu entry (发通知)
    form = page[page.index('<form method="post" novalidate>') :]
    button = re.search(r'<button type="submit">([^<]*)</button>', form)
    assert button is not None and button.group(1) == request_button
    assert request_button != menu  # its own msgctxt: 发送, whatever the menu's "Send" says


def test_the_admins_staff_button_is_an_action(cast):
    page = cast.client(cast.admin_zhang).get("/school/staff/").content.decode()  # in Chinese, the default
    assert ">设为离校</button>" in page
    assert ">已离校</button>" not in page


def test_every_sign_in_method_has_words_and_the_log_shows_them(cast):
    assert set(SIGN_IN_METHODS) == set(get_args(SignInMethod))
    client = Client()
    response = client.post("/accounts/login/", {"identifier": "admin_zhang", "password": PASSWORD})
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="sign_in", actor=cast.admin_zhang).get()
    assert entry.summary == "password"  # stored as the method's name; shown in words
    page = cast.client(cast.admin_zhang).get("/school/audit/").content.decode()  # in Chinese, the default
    with translation.override("zh-hans"):
        assert entry.shown_summary == "密码登录"
    with translation.override("en"):
        assert entry.shown_summary == "by password"
    assert '<span class="muted">密码登录</span>' in page
    # Another action's summary is shown as written.
    other = AuditEntry(action="export", summary="password")
    assert other.shown_summary == "password"


def test_table_headers_break_between_words_not_inside_them():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "tongxin.css").read_text(encoding="utf-8")
    rule = re.search(r"\.table th \{([^}]*)\}", css)
    assert rule is not None and "word-break: keep-all" in rule.group(1)


def _form_classes():
    for config in apps.get_app_configs():
        if not str(config.path).startswith(str(settings.BASE_DIR)):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                yield value


def test_optional_is_said_once_form_fields_html_adds_it_to_every_optional_field():
    """templates/form_fields.html marks each field that is not required "(optional)": a label that
    says it too would read "(可选) (选填)"."""
    found = list(_form_classes())
    assert len(found) > 10
    doubled = []
    with translation.override("en"):
        for form_class in found:
            for name, field in form_class.base_fields.items():
                label = str(field.label or "")
                if not field.required and "optional" in label.lower():
                    doubled.append(f"{form_class.__module__}.{form_class.__name__}.{name}: {label}")
    assert doubled == []
