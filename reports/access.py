"""Who sees what of reports: recognition is for the school's admins; a certificate also for the
teacher or the family it commends."""

from django.db.models import Q
from django.http import Http404

from schools.access import access_class
from schools.roles import Roles

from .models import Commendation


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


def access_class_dashboard(request, class_id: int):
    """A class's rhythm dashboard: its school's admins and its head teacher this term."""
    return access_class(request, class_id, manage=True)
