"""Evidence chosen by id, through each app's access function: an event the editor manages or
takes the roll of, a notice or a survey they manage, a duty roster they manage. Anything else is
refused with a message (a ValidationError), so nothing is written (used by the page and the API)."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from community.access import access_duty_roster_to_manage
from events.access import access_event_to_manage
from notices.access import access_notice_to_manage
from surveys.access import access_survey_to_manage


def evidence_from_ids(request, *, event_id=None, notice_id=None, survey_id=None, roster_id=None) -> dict:
    chosen: dict = {}
    try:
        if event_id is not None:
            chosen["evidence_event"] = access_event_to_manage(request, event_id, roll=True)
        if notice_id is not None:
            chosen["evidence_notice"] = access_notice_to_manage(request, notice_id)
        if survey_id is not None:
            chosen["evidence_survey"] = access_survey_to_manage(request, survey_id)
        if roster_id is not None:
            chosen["evidence_roster"] = access_duty_roster_to_manage(request, roster_id)
    except Http404:
        raise ValidationError(_("That is not something you may link as evidence.")) from None
    return chosen
