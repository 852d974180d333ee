from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from core.classnames import InvalidClassName, parse_class_name
from core.phones import InvalidPhone, normalize_phone

from .models import StaffAssignment, Student


class TermForm(forms.Form):
    name = forms.CharField(label=_("Term name"), max_length=64, help_text=_("e.g. 2026—2027学年第一学期"))
    start_date = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end_date = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    make_current = forms.BooleanField(label=_("Make this the current term"), required=False)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("start_date") and data.get("end_date") and data["end_date"] <= data["start_date"]:
            raise forms.ValidationError(_("The term must end after it starts."))
        return data


class ClassForm(forms.Form):
    name = forms.CharField(
        label=_("Class"),
        max_length=32,
        help_text=_("Write it as the school does: 三年级2班, 三(2)班 or 3年级2班."),
    )

    def __init__(self, *args, grade_count: int = 6, **kwargs):
        super().__init__(*args, **kwargs)
        self.grade_count = grade_count

    def clean_name(self):
        try:
            return parse_class_name(self.cleaned_data["name"], max_grade=self.grade_count)
        except InvalidClassName:
            raise forms.ValidationError(
                _("“%(name)s” is not a class name we understand. Write it like 三年级2班 or 三(2)班."),
                params={"name": self.cleaned_data["name"]},
            ) from None


class StaffForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    phone = forms.CharField(label=_("Mobile number"), max_length=32, required=False)
    username = forms.CharField(label=_("Username"), max_length=64, required=False)
    password = forms.CharField(
        label=_("First password"),
        required=False,
        min_length=8,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty: they sign in with a code sent to their phone."),
    )
    title = forms.CharField(label=_("Title"), max_length=64, required=False)
    is_school_admin = forms.BooleanField(label=_("School admin"), required=False)

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        if not phone:
            return ""
        try:
            return normalize_phone(phone)
        except InvalidPhone:
            raise forms.ValidationError(InvalidPhone.message) from None


class AssignmentForm(forms.Form):
    staff = forms.TypedChoiceField(label=_("Teacher"), coerce=int)
    school_class = forms.TypedChoiceField(label=_("Class"), coerce=int)
    role = forms.ChoiceField(label=_("Role"), choices=StaffAssignment.Role.choices)
    subject = forms.CharField(label=_("Subject"), max_length=32, required=False, help_text=_("e.g. 语文, 数学, 英语"))

    def __init__(self, *args, staff_choices=(), class_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["staff"]).choices = list(staff_choices)
        cast(forms.TypedChoiceField, self.fields["school_class"]).choices = list(class_choices)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("role") == StaffAssignment.Role.SUBJECT_TEACHER and not data.get("subject"):
            self.add_error("subject", _("Enter the subject this teacher teaches in the class."))
        return data


class PromoteYearForm(forms.Form):
    name = forms.CharField(label=_("New term name"), max_length=64, help_text=_("e.g. 2027—2028学年第一学期"))
    start_date = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end_date = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    confirm = forms.BooleanField(
        label=_("I understand: every class goes up a grade and the top grade graduates."), required=True
    )


class StudentForm(forms.Form):
    # One random value per form shown: a second submit of the same form (a double tap, a reload)
    # is recognised and adds nobody twice.
    form_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    name = forms.CharField(label=_("Student name"), max_length=64)
    student_number = forms.CharField(label=_("Student number"), max_length=32, required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=Student.Gender.choices, required=False)
    guardian1_name = forms.CharField(label=_("Guardian 1 name"), max_length=64, required=False)
    guardian1_phone = forms.CharField(label=_("Guardian 1 mobile"), max_length=32, required=False)
    guardian1_relationship = forms.CharField(label=_("Guardian 1 relationship"), max_length=16, required=False)
    guardian2_name = forms.CharField(label=_("Guardian 2 name"), max_length=64, required=False)
    guardian2_phone = forms.CharField(label=_("Guardian 2 mobile"), max_length=32, required=False)
    guardian2_relationship = forms.CharField(label=_("Guardian 2 relationship"), max_length=16, required=False)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        for i in (1, 2):
            phone = data.get(f"guardian{i}_phone")
            if phone:
                try:
                    data[f"guardian{i}_phone"] = normalize_phone(phone)
                except InvalidPhone:
                    self.add_error(f"guardian{i}_phone", InvalidPhone.message)
            elif data.get(f"guardian{i}_name"):
                self.add_error(f"guardian{i}_phone", _("Enter the guardian's mobile number."))
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            import secrets

            self.initial["form_key"] = secrets.token_urlsafe(16)

    def guardians(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "name": data.get(f"guardian{i}_name", ""),
                "phone": data.get(f"guardian{i}_phone", ""),
                "relationship": data.get(f"guardian{i}_relationship", ""),
            }
            for i in (1, 2)
            if data.get(f"guardian{i}_phone")
        ]


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_("Excel (.xlsx, .xls) or CSV, as the school keeps it: a title row above the header is fine."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )


class JoinForm(forms.Form):
    child_name = forms.CharField(label=_("Your child's name"), max_length=64)
    fact = forms.CharField(
        label=_("Student number, or the parent phone the school has on file"),
        max_length=32,
        help_text=_("Either one. It shows that you are this child's family."),
    )
    guardian_name = forms.CharField(label=_("Your name"), max_length=64)
    relationship = forms.CharField(
        label=_("You are the child's"), max_length=16, help_text=_("父亲, 母亲, 爷爷, 奶奶 …")
    )
    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    consent_data = forms.BooleanField(
        label=_("I agree to what Tongxin keeps about my family, as set out above."),
        error_messages={"required": _("Your child's school can use Tongxin for your family only with your consent.")},
    )
    consent_sms = forms.BooleanField(label=_("Send me reminders by SMS too."), required=False, initial=True)

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone:
            raise forms.ValidationError(InvalidPhone.message) from None


def consents_given(data) -> list[str]:
    """The consents a joining form's answers give (``accounts.consent``): data, and SMS if ticked."""
    return [kind for kind, field in (("data", "consent_data"), ("sms", "consent_sms")) if data.get(field)]


class RelationshipForm(forms.Form):
    relationship = forms.CharField(label=_("You are the child's"), max_length=16)


class AddGuardianForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    phone = forms.CharField(label=_("Mobile number"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    relationship = forms.CharField(label=_("Relationship to the child"), max_length=16)

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone:
            raise forms.ValidationError(InvalidPhone.message) from None


class ChangePhoneForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed if you have set a password."),
    )
    phone = forms.CharField(
        label=_("New mobile number"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    code = forms.CharField(label=_("Code sent to the new number"), max_length=6, required=False)

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone:
            raise forms.ValidationError(InvalidPhone.message) from None
