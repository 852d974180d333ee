"""The admin page of the class-channel rules: how often each rule warned and was overridden per
term, the school's own words, and whether pictures can be read (core.ocr)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.guardrails import ALL_CODES
from core.ocr import engine_status
from schools.access import access_admin_school

from . import actions, queries
from .labels import RULE_LABELS


class WordsForm(forms.Form):
    words = forms.CharField(
        label=gettext_lazy("Your school's own words"),
        help_text=gettext_lazy("One word or phrase a line. Class-wide messages that use one are warned about."),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=5000,
    )
    warn_named_awards = forms.BooleanField(
        label=gettext_lazy("Also warn when one child's award or honour is named in a class channel"),
        help_text=gettext_lazy("Off by default: praising one child's award in the class is usual and allowed."),
        required=False,
    )


@login_required
@require_http_methods(["GET", "POST"])
def admin_page(request):
    school = access_admin_school(request)
    rules = queries.school_rules(school.pk)
    form = WordsForm(
        request.POST or None, initial={"words": "\n".join(rules.words), "warn_named_awards": rules.warn_named_awards}
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.do_set_school_words(
                school,
                form.cleaned_data["words"],
                acting_user=request.user,
                request=request,
                warn_named_awards=form.cleaned_data["warn_named_awards"],
            )
        except ValidationError as exc:
            form.add_error("words", exc)
        else:
            messages.success(request, _("Saved: %(n)d words.") % {"n": len(saved)})
            return redirect("guardrails:admin")
    terms = queries.counts_by_term(school)
    return render(
        request,
        "guardrails/admin.html",
        {
            "school": school,
            "tab": "guardrails",
            "form": form,
            "terms": terms,
            "labels": RULE_LABELS,
            "codes": ALL_CODES,
            "ocr": engine_status(),
        },
        status=400 if form.errors else 200,
    )
