"""Audience kinds a higher app registers (notices.audience.register_audience_kind): stored as a
target with its ref_id, checked against what the sender may address, fanned out to the guardians
and staff users it names, given back for a follow-up. A fake kind stands in for community's
working groups, so this test does not depend on the app that uses the hook."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from notices.audience import (
    AUDIENCE_KINDS,
    AudienceKind,
    TargetSpec,
    audience_choices,
    register_audience_kind,
    resolve_audience,
    specs_of,
    target_specs,
)
from notices.fanout import fan_out
from notices.forms import AudienceForm
from notices.models import Receipt
from schools.models import Guardian, StaffMember
from schools.roles import compute_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_kind(cast):
    """Group 7 of school A: alice's family and mr_wang; only admins and ms_li may address it."""
    with scopes_disabled():
        alice_guardian = cast.alice_guardian.pk

    def choices(roles, school):
        return [(7, "茶话小组")] if roles.is_admin_of(school.pk) or roles.user_id == cast.ms_li.pk else []

    def guardians(school_id, ref_id):
        return Guardian.objects.filter(pk=alice_guardian if ref_id == 7 else 0, school_id=school_id).values("pk")

    def staff_users(school_id, ref_id):
        return StaffMember.objects.filter(school_id=school_id, user=cast.mr_wang if ref_id == 7 else None).values(
            "user_id"
        )

    saved = dict(AUDIENCE_KINDS)
    register_audience_kind(AudienceKind("fake_group", "小组", choices, guardians, staff_users))
    yield
    AUDIENCE_KINDS.clear()
    AUDIENCE_KINDS.update(saved)


def test_a_registered_kind_is_checked_stored_fanned_out_and_given_back(cast, fake_kind):
    from notices.actions import do_create_notice

    with scopes_disabled():
        roles = compute_roles(cast.ms_li)
    with scope(school=[cast.school.pk]):
        with pytest.raises(ValidationError):
            resolve_audience(cast.school, compute_roles(cast.mr_wang), [TargetSpec("fake_group", ref_id=7)])
        with pytest.raises(ValidationError):
            resolve_audience(cast.school, roles, [TargetSpec("fake_group", ref_id=8)])
        targets, label = resolve_audience(cast.school, roles, [TargetSpec("fake_group", ref_id=7)])
        assert label == "茶话小组" and targets[0].ref_id == 7
        notice = do_create_notice(
            cast.school,
            acting_user=cast.ms_li,
            roles=roles,
            title="小组开会",
            body_html="<p>周三下午</p>",
            action="confirm",
            targets=[TargetSpec("fake_group", ref_id=7), TargetSpec("class", class_id=cast.class1.pk)],
        )
        counts = fan_out(notice)
        fan_out(notice)  # again: nothing twice
        receipts = Receipt.objects.filter(notice=notice)
        # alice (once, though reached both as a family of the class and as a group member), bob, mr_wang.
        assert sorted(
            (r.guardian_id is not None, r.guardian.name if r.guardian else r.user.name) for r in receipts
        ) == [
            (False, "王老师"),
            (True, "刘爱丽"),
            (True, "陈波"),
        ]
        assert counts["receipts"] == 3
        assert [(s.kind, s.ref_id) for s in specs_of(notice.pk) if s.kind == "fake_group"] == [("fake_group", 7)]


def test_the_form_offers_the_groups_only_when_asked(cast, fake_kind, rf):
    request = rf.get("/")
    request.user = cast.ms_li
    with scopes_disabled():
        request.roles = compute_roles(cast.ms_li)
        plain = audience_choices(request, cast.school)
        with_groups = audience_choices(request, cast.school, groups=True)
    assert plain["group_choices"] == []
    assert with_groups["group_choices"] == [("fake_group:7", "小组: 茶话小组")]
    assert "groups" not in AudienceForm(**plain).fields
    form = AudienceForm({"groups": ["fake_group:7"]}, **with_groups)
    assert form.is_valid(), form.errors
    assert target_specs(form.cleaned_data) == [TargetSpec("fake_group", ref_id=7)]
    assert not AudienceForm({"groups": ["fake_group:8"]}, **with_groups).is_valid()


def test_names_that_would_clash_are_refused():
    def nobody(school_id, ref_id):
        return Guardian.objects.none().values("pk")

    for name in ("class", "a_name_far_too_long_for_the_column", "a:b"):
        with pytest.raises(ValueError):
            register_audience_kind(AudienceKind(name, "x", lambda r, s: [], nobody, nobody))
    assert "class" not in AUDIENCE_KINDS
