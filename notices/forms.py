import copy
import uuid
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .audience import StudentChoice
from .district import DISTRICT_ACTIONS
from .models import ANSWERED_ELSEWHERE, DistrictNotice, Notice


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


class GuardrailReasonForm(forms.Form):
    """A form whose message may go to a whole class. The reason to send it despite a guardrail
    warning (``guardrail_reason``, logged) is asked for only after the page has shown the warning:
    the view calls ``ask_reason()`` when the action raised ``GuardrailWarning``. A reason posted
    back stays in the form (sent again with it, or kept while another field is put right). The
    field comes first, right under the warning (templates/_guardrail_warning.html)."""

    guardrail_reason = forms.CharField(label=_("Why this must go to the whole class"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reason = self.fields.pop("guardrail_reason")
        if self.is_bound and "guardrail_reason" in self.data:
            self.fields = {"guardrail_reason": reason, **self.fields}

    def ask_reason(self) -> None:
        """The page shows a guardrail warning: ask why the message must still go to the class."""
        if "guardrail_reason" not in self.fields:
            self.fields = {"guardrail_reason": copy.deepcopy(self.base_fields["guardrail_reason"]), **self.fields}


class StudentPicker(forms.CheckboxSelectMultiple):
    """Students to choose one by one: a folded list of checkboxes, each with the name and the
    class (``notices.audience.StudentChoice``), 44 px a row. static/js/picker.js adds a filter
    that hides the rows that do not match what is typed, a count of the chosen and a word when a
    chosen student's class is ticked as well; without the script it is the plain list."""

    template_name = "notices/widgets/student_picker.html"
    option_template_name = "notices/widgets/student_option.html"

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if isinstance(label, StudentChoice):
            option["attrs"]["data-class"] = str(label.class_id)
        return option


class AudienceForm(GuardrailReasonForm):
    """Who a notice, a survey or an event's invitation goes to (see ``notices.audience``). Only
    school admins get grades, the whole school and all staff. The class of a teacher of one class
    is chosen to start with (``chosen_classes``); a student chosen from a class that is chosen as
    well is refused, since the whole class would get it (the teacher meant only that student)."""

    classes = forms.TypedMultipleChoiceField(
        label=_("Classes"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    students = forms.TypedMultipleChoiceField(
        label=_("Or only these students' families"), coerce=int, required=False, widget=StudentPicker
    )
    grades = forms.TypedMultipleChoiceField(
        label=_("Grades"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    whole_school = forms.BooleanField(label=_("The whole school"), required=False)
    all_staff = forms.BooleanField(label=_("All staff"), required=False)
    # Groups of audience kinds other apps register (notices.audience.AUDIENCE_KINDS), "kind:id".
    groups = forms.MultipleChoiceField(label=_("Groups"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(
        self,
        *args,
        class_choices=(),
        student_choices=(),
        grade_choices=(),
        chosen_classes=(),
        is_admin=False,
        group_choices=(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if group_choices:
            cast(forms.ChoiceField, self.fields["groups"]).choices = list(group_choices)
        else:
            del self.fields["groups"]
        for name, choices in (("classes", class_choices), ("students", student_choices), ("grades", grade_choices)):
            cast(forms.ChoiceField, self.fields[name]).choices = list(choices)
        self._class_of = {pk: label for pk, label in student_choices if isinstance(label, StudentChoice)}
        if not self.is_bound and chosen_classes:
            self.initial.setdefault("classes", list(chosen_classes))
        if not is_admin:
            for name in ("grades", "whole_school", "all_staff"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        classes = set(data.get("classes") or [])
        picked = [self._class_of[pk] for pk in data.get("students") or [] if pk in self._class_of]
        both = [s for s in picked if s.class_id in classes]
        if both:
            self.add_error(
                "students",
                _(
                    "%(names)s: the class is ticked as well, so the whole class would get it. Untick the "
                    "class to send only to the students you chose."
                )
                % {"names": "、".join(s.name for s in both)},
            )
        return data


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
    kind = forms.ChoiceField(
        label=_("Kind of notice"),
        choices=Notice.Kind.choices,
        initial=Notice.Kind.GENERAL,
        required=False,
        help_text=_("A class update (班级动态) is information only: what the class did, with photos."),
    )
    themed = forms.BooleanField(
        label=_("This is the month's themed discussion"),
        required=False,
        help_text=_("Counted in the class rhythm: one themed discussion a month."),
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
    urgent = forms.BooleanField(
        label=_("Urgent (closure, early dismissal, outbreak)"),
        required=False,
        help_text=_("Every channel at once, quiet settings ignored. Administrators and head teachers only."),
    )
    ladder_sms_after = forms.IntegerField(
        label=_("SMS to families who have not read it after (minutes)"),
        required=False,
        min_value=0,
        max_value=7 * 24 * 60,
        help_text=_("Leave empty for the school's default (2 hours); only sooner than the default counts."),
    )
    ladder_call_after = forms.IntegerField(
        label=_("Call task for the head teacher after (minutes)"),
        required=False,
        min_value=0,
        max_value=7 * 24 * 60,
        help_text=_("Leave empty for the school's default (6 hours, or before the deadline if sooner)."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"}),
        help_text=_("Images, PDF or Office files, up to 20 MB each."),
    )
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


class DistrictNoticeForm(GuardrailReasonForm):
    """A notice a district admin sends to every school of the district (``notices.district``)."""

    title = forms.CharField(label=_("Notice title"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Plain text, or simple formatting (bold, lists, links); anything else is removed."),
    )
    audience = forms.ChoiceField(
        label=_("Who it is for, in every school of the district"),
        choices=DistrictNotice.Audience.choices,
        initial=DistrictNotice.Audience.FAMILIES,
        widget=forms.RadioSelect,
    )
    action = forms.ChoiceField(
        label=_("What they must do"),
        choices=[(value, label) for value, label in Notice.Action.choices if value in DISTRICT_ACTIONS],
        initial=Notice.Action.CONFIRM,
        widget=forms.RadioSelect,
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class EditForm(GuardrailReasonForm):
    title = forms.CharField(label=_("Notice title"), max_length=120)
    body = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    # The version the editor opened: a save over someone else's newer edit is refused and explained.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class PreferenceForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), required=False)
    email_enabled = forms.BooleanField(label=_("Also send notices to this email address"), required=False)
    sms_enabled = forms.BooleanField(label=_("Send reminders by SMS"), required=False)
    digest = forms.ChoiceField(
        label=_("A digest of what to do"),
        choices=[("weekly", _("Weekly, on Sunday evening")), ("daily", _("Every evening")), ("off", _("None"))],
        initial="weekly",
        required=False,
    )
