import uuid
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ANSWERED_ELSEWHERE, Notice


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (the pattern of Django's documentation)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class AudienceForm(forms.Form):
    """Who a notice, a survey or an event's invitation goes to (see ``notices.audience``). Only
    school admins get grades, the whole school and all staff."""

    classes = forms.TypedMultipleChoiceField(
        label=_("Classes"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    students = forms.TypedMultipleChoiceField(
        label=_("Or only these students' families"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    grades = forms.TypedMultipleChoiceField(
        label=_("Grades"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    whole_school = forms.BooleanField(label=_("The whole school"), required=False)
    all_staff = forms.BooleanField(label=_("All staff"), required=False)

    def __init__(self, *args, class_choices=(), student_choices=(), grade_choices=(), is_admin=False, **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in (("classes", class_choices), ("students", student_choices), ("grades", grade_choices)):
            cast(forms.ChoiceField, self.fields[name]).choices = list(choices)
        if not is_admin:
            for name in ("grades", "whole_school", "all_staff"):
                del self.fields[name]


class NoticeForm(AudienceForm):
    field_order = ["title", "body", "classes", "students", "grades", "whole_school", "all_staff"]

    title = forms.CharField(label=_("Notice title"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text, or simple formatting (bold, lists, links); anything else is removed."),
    )
    action = forms.ChoiceField(
        label=_("What families must do"),
        # A survey or an invitation is sent from its own page, which says where it is answered.
        choices=[(value, label) for value, label in Notice.Action.choices if value not in ANSWERED_ELSEWHERE],
        initial=Notice.Action.READ,
        widget=forms.RadioSelect,
    )
    options = forms.CharField(
        label=_("Answers to choose from"),
        required=False,
        help_text=_("One per line, e.g. 参加 and 不参加."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    allow_comment = forms.BooleanField(label=_("Families may add a comment"), required=False)
    every_guardian = forms.BooleanField(label=_("Every guardian must act (not just one per student)"), required=False)
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    publish_at = forms.DateTimeField(
        label=_("Publish later at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    pinned = forms.BooleanField(label=_("Pin to the top"), required=False)
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"}),
        help_text=_("Images, PDF or Office files, up to 20 MB each."),
    )
    guardrail_reason = forms.CharField(label=_("Why this must go to the whole class"), required=False, max_length=500)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def option_list(self) -> list[str]:
        return [
            line.strip()
            for line in (self.cleaned_data.get("options") or "").replace("／", "/").splitlines()
            if line.strip()
        ]


class EditForm(forms.Form):
    title = forms.CharField(label=_("Notice title"), max_length=120)
    body = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    guardrail_reason = forms.CharField(label=_("Why this must go to the whole class"), required=False, max_length=500)


class PreferenceForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), required=False)
    email_enabled = forms.BooleanField(label=_("Also send notices to this email address"), required=False)
    sms_enabled = forms.BooleanField(label=_("Send reminders by SMS"), required=False)
