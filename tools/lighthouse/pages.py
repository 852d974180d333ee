"""Print the pages the Lighthouse run audits, with a session for the user each is seen as: one
line per page, "name<TAB>path<TAB>session key or -". Run inside the demo's data folder
(tools/lighthouse/run.sh sets TONGXIN_DATA_DIR and TONGXIN_DEMO). The demo decides who is who:
the author of the class meeting's notice in 三年级2班 (its head teacher) and a parent who got it."""

import os
import sys
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongxin.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db.models import Case, When  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from notices.models import Notice, Receipt  # noqa: E402
from schools.models import StaffAssignment  # noqa: E402


def session_for(user) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


with scopes_disabled():  # reviewed: a tool over the demo database, not a request
    receipt = (
        Receipt.objects.filter(guardian__user__isnull=False, notice__status=Notice.Status.PUBLISHED)
        .select_related("notice__author", "guardian__user")
        .order_by("-notice__created_at")
        .first()
    )
    if receipt is None or receipt.guardian is None:
        sys.exit("The demo has no notice sent to a parent with an account.")
    notice, parent, teacher = receipt.notice, receipt.guardian.user, receipt.notice.author
    # The class the notice's author teaches, as its head teacher if they are one.
    assignment = (
        StaffAssignment.objects.filter(staff__user=teacher, term__is_current=True)
        .order_by(Case(When(role=StaffAssignment.Role.HEAD_TEACHER, then=0), default=1))
        .first()
    )
    if assignment is None:
        sys.exit("The notice's author teaches no class this term.")
    class_id = assignment.school_class_id
    parent_session, teacher_session = session_for(parent), session_for(teacher)

for name, path, session in (
    ("sign-in", "/accounts/login/", "-"),
    ("parent-feed", "/notices/", parent_session),
    ("notice", f"/notices/{notice.pk}/", parent_session),
    ("class-page", f"/classes/{class_id}/", teacher_session),
    ("results", f"/notices/{notice.pk}/results/", teacher_session),
):
    print(f"{name}\t{path}\t{session}")
