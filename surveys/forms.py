import uuid
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from notices.forms import AudienceForm

from .models import Question, Survey


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Survey title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(
        label=_("Questionnaire or form"),
        choices=Survey.Kind.choices,
        initial=Survey.Kind.SURVEY,
        widget=forms.RadioSelect,
    )
    anonymous = forms.BooleanField(
        label=_("Anonymous"),
        required=False,
        initial=True,
        help_text=_("Answers are kept without any link to who gave them. Collection forms are always named."),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class QuestionForm(forms.Form):
    section = forms.CharField(label=_("Section"), max_length=60, required=False)
    kind = forms.ChoiceField(label=_("Kind of question"), choices=Question.Kind.choices)
    text = forms.CharField(label=_("Question"), max_length=300)
    help_text = forms.CharField(label=_("Explanation"), max_length=300, required=False)
    options = forms.CharField(
        label=_("Options, or the rows of a matrix"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line. Needed for choices and matrices."),
    )
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)


class SendForm(AudienceForm):
    opens_at = forms.DateTimeField(
        label=_("Opens at (empty: now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )


class ScheduleForm(forms.Form):
    series = forms.ChoiceField(choices=Survey.Series.choices[1:], widget=forms.HiddenInput)
    months = forms.MultipleChoiceField(label=_("Months"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, month_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["months"]).choices = list(month_choices)
