import secrets
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CareCase, ContactRecord, Topic


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactRecord.Kind.choices, initial=ContactRecord.Kind.PHONE)
    occurred_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    duration_minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=600, initial=15)
    students = forms.TypedMultipleChoiceField(
        label=_("About"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Name every child the talk was about: the record counts for each of them."),
    )
    whole_class = forms.TypedChoiceField(
        label=_("Or the whole class (collective guidance)"), coerce=int, required=False, empty_value=None
    )
    participants = forms.CharField(label=_("Who took part"), max_length=200, required=False)
    topics = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(label=_("Summary (for staff)"), widget=forms.Textarea(attrs={"rows": 5}))
    shared = forms.BooleanField(label=_("Share a summary with the family"), required=False)
    parent_summary = forms.CharField(
        label=_("Summary for the family"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    action = forms.CharField(label=_("Agreed action"), max_length=300, required=False)
    action_due = forms.DateField(
        label=_("Action due"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    follow_up_on = forms.DateField(
        label=_("Follow up on"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, student_choices=(), class_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["students"]).choices = list(student_choices)
        cast(forms.ChoiceField, self.fields["whole_class"]).choices = [("", "—"), *class_choices]
        if not self.is_bound:
            self.initial.setdefault("occurred_on", timezone.localdate())
            self.initial.setdefault("idempotency_key", secrets.token_urlsafe(16))


class ContactEditForm(forms.Form):
    """Correcting a record: what was said, not whom or when it was about."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ContactRecord.Kind.choices)
    duration_minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=600)
    participants = forms.CharField(label=_("Who took part"), max_length=200, required=False)
    topics = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(label=_("Summary (for staff)"), widget=forms.Textarea(attrs={"rows": 5}))
    shared = forms.BooleanField(label=_("Share a summary with the family"), required=False)
    parent_summary = forms.CharField(
        label=_("Summary for the family"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    follow_up_on = forms.DateField(
        label=_("Follow up on"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    # The version the editor opened: a save over someone else's newer edit is refused and explained.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @classmethod
    def initial_of(cls, record: ContactRecord) -> dict:
        return {
            "kind": record.kind,
            "duration_minutes": record.duration_minutes,
            "participants": record.participants,
            "topics": record.topics,
            "summary": record.summary,
            "shared": record.visibility == ContactRecord.Visibility.SHARED,
            "parent_summary": record.parent_summary,
            "follow_up_on": record.follow_up_on,
            "version": record.version,
        }


class ReplyForm(forms.Form):
    reply = forms.CharField(label=_("Your reply"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ConversationForm(forms.Form):
    student = forms.TypedChoiceField(label=_("About"), coerce=int)
    topic = forms.CharField(label=_("I would like to talk about"), max_length=300)

    def __init__(self, *args, child_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["student"]).choices = list(child_choices)


class CareCaseForm(forms.Form):
    concern = forms.ChoiceField(label=_("Concern"), choices=CareCase.Concern.choices)
    description = forms.CharField(label=_("What we see"), widget=forms.Textarea(attrs={"rows": 4}))
    goals = forms.CharField(label=_("Goals"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    measures = forms.CharField(
        label=_("Measures: who does what"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_review_on = forms.DateField(
        label=_("Next review"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class CareReviewForm(forms.Form):
    progress = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}))
    next_review_on = forms.DateField(
        label=_("Next review"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class CoverageRulesForm(forms.ModelForm):
    class Meta:
        from .models import CoverageRules

        model = CoverageRules
        fields = ["min_contacts_per_term", "concern_phone_per_month", "require_home_visit", "require_praise"]
