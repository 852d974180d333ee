import uuid
from collections import Counter
from collections.abc import Iterable
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from notices.forms import AudienceForm
from schools.models import StaffMember

from .models import Event, Rsvp


def staff_choices(members: Iterable[StaffMember], *, first_user_id: int | None = None) -> list[tuple[int, str]]:
    """The staff as an organiser or teacher list shows them (user id, label), from
    ``events.queries.staff_to_choose``: the user ``first_user_id`` (the author) first, then by name.
    Each label says what the teacher does this term, so that two 王老师 are told apart:
    "王老师（数学，三年级1班）", "李老师（班主任、语文，三年级1班、三年级2班）". Staff with no
    class this term are named alone, or with their title (德育主任) when another has the same name."""
    members = sorted(members, key=lambda m: (m.user_id != first_user_id, m.user.display_name, m.pk))
    names = Counter(m.user.display_name for m in members)
    choices = []
    for m in members:
        name = m.user.display_name
        duties: list[str] = []
        classes: list[str] = []
        for a in m.assignments.all():  # prefetched: no query per teacher
            duty = str(a.get_role_display()) if a.role == a.Role.HEAD_TEACHER else a.subject
            if duty and duty not in duties:
                duties.append(duty)
            if a.school_class.name not in classes:
                classes.append(a.school_class.name)
        if classes:
            name += "（" + "，".join(part for part in ("、".join(duties), "、".join(classes)) if part) + "）"
        elif names[name] > 1 and m.title:
            name += f"（{m.title}）"
        choices.append((m.user_id, name))
    return choices


DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class EventForm(AudienceForm):
    field_order = [
        *("kind", "title", "starts_at", "ends_at", "place", "online_link", "capacity"),
        *("description", "materials", "speakers", "organisers"),
    ]
    kind = forms.ChoiceField(label=_("Kind of event"), choices=Event.Kind.choices)
    title = forms.CharField(label=_("Event title"), max_length=120)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    online_link = forms.URLField(label=_("Online link"), required=False, assume_scheme="https")
    capacity = forms.IntegerField(label=_("Capacity (families)"), required=False, min_value=1)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    materials = forms.CharField(label=_("Materials"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    speakers = forms.CharField(
        label=_("Speakers"),
        max_length=300,
        required=False,
        help_text=_("Teachers, experts or parents, e.g. 刘爱丽（家长）."),
    )
    organisers = forms.TypedMultipleChoiceField(
        label=_("Organisers"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("You organise it; tick the colleagues who organise it with you."),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, staff_choices=(), author_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organisers"]).choices = list(staff_choices)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
            if author_id is not None:
                self.initial.setdefault("organisers", [author_id])


class ChangeForm(forms.Form):
    title = forms.CharField(label=_("Event title"), max_length=120)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    online_link = forms.URLField(label=_("Online link"), required=False, assume_scheme="https")
    capacity = forms.IntegerField(label=_("Capacity (families)"), required=False, min_value=1)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    materials = forms.CharField(label=_("Materials"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    speakers = forms.CharField(label=_("Speakers"), max_length=300, required=False)


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(label=_("Will you come?"), choices=Rsvp.Answer.choices, widget=forms.RadioSelect)
    # Not required: a one-tap answer (the feed, the notice) keeps the number given before.
    people = forms.IntegerField(label=_("How many people"), min_value=1, max_value=6, initial=1, required=False)
    note = forms.CharField(label=_("Note for the teacher"), max_length=200, required=False)


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("What was presented"), widget=forms.Textarea(attrs={"rows": 8}))
    resolutions = forms.CharField(
        label=_("Resolutions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: what | owner's name | deadline, e.g. 成立班级读书会 | 李老师 | 2026-12-20"),
    )
    guardrail_reason = forms.CharField(label=_("Why this must go to the whole class"), required=False, max_length=500)


class ConferenceForm(forms.Form):
    title = forms.CharField(label=_("Event title"), max_length=120, initial=_("Individual parent conferences"))
    school_class = forms.TypedChoiceField(label=_("Class"), coerce=int)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("First family at"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("Last family leaves by"), widget=forms.TimeInput(attrs={"type": "time"}))
    slot_minutes = forms.IntegerField(label=_("Minutes per family"), initial=15, min_value=5, max_value=120)
    break_minutes = forms.IntegerField(
        label=_("Break between families (minutes)"), initial=5, min_value=0, max_value=60
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    teachers = forms.TypedMultipleChoiceField(
        label=_("Other teachers taking part"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, class_choices=(), staff_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["school_class"]).choices = list(class_choices)
        cast(forms.ChoiceField, self.fields["teachers"]).choices = list(staff_choices)
