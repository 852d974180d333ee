import uuid
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from notices.forms import AudienceForm

from .models import Event, Rsvp

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
        label=_("Organisers"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    guardrail_reason = forms.CharField(label=_("Why this must go to the whole class"), required=False, max_length=500)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, staff_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organisers"]).choices = list(staff_choices)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


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
