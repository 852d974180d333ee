"""Who sees what of reports: recognition is for the school's admins; a certificate also for the
teacher or the family it commends. The yearly summary: the school's admins. A class's archive: its
head teacher and the school's admins (``schools.access.access_class(…, manage=True)``); a grade's:
the admins."""

from django.db.models import Q
from django.http import Http404

from schools.access import access_class
from schools.models import Term
from schools.roles import Roles

from .models import Commendation, YearlySummary


def _roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def access_commendation(request, commendation_id: int) -> Commendation:
    if not request.user.is_authenticated:
        raise Http404
    commendation = (
        Commendation.objects.filter(pk=commendation_id).select_related("school", "term", "guardian", "user").first()
    )
    if commendation is None:
        raise Http404
    if _roles(request).is_admin_of(commendation.school_id):
        return commendation
    own = Commendation.objects.filter(pk=commendation.pk).filter(Q(user=request.user) | Q(guardian__user=request.user))
    if not own.exists():
        raise Http404
    return commendation


def access_summary(request, summary_id: int) -> YearlySummary:
    """A yearly summary: its school's admins only."""
    if not request.user.is_authenticated:
        raise Http404
    summary = YearlySummary.objects.filter(pk=summary_id).select_related("school").first()
    if summary is None or not _roles(request).is_admin_of(summary.school_id):
        raise Http404
    return summary


def access_archive_term(request, school_id: int, term_id: int | None):
    """A term of the school an archive is made for (its current term when none is asked for)."""
    terms = Term.objects.filter(school_id=school_id)
    term = terms.filter(pk=term_id).first() if term_id is not None else terms.filter(is_current=True).first()
    if term is None:
        raise Http404
    return term


def access_class_dashboard(request, class_id: int):
    """A class's rhythm dashboard: its school's admins and its head teacher this term."""
    return access_class(request, class_id, manage=True)
