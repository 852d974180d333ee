from django import forms
from django.utils.translation import gettext_lazy as _

from schools.models import RetentionPeriod


class RetentionForm(forms.Form):
    """One number of days per kind of record (``schools.models.RetentionPeriod``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in RetentionPeriod.Kind:
            self.fields[kind] = forms.IntegerField(
                label=kind.label,
                min_value=RetentionPeriod.MIN_DAYS,
                max_value=RetentionPeriod.MAX_DAYS,
                help_text=_("days; default %(days)d") % {"days": RetentionPeriod.DEFAULT_DAYS[kind]},
            )
