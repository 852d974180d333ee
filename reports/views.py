"""Pages of reports: recognition (表彰) at a term's end, and the certificate PDF."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from schools.access import access_admin_school
from schools.queries import current_term

from . import actions, certificates, queries
from .access import access_commendation


@login_required
@require_GET
def recognition(request):
    """The term's most engaged teachers and families with their evidence, and whom the admins
    have commended."""
    school = access_admin_school(request)
    term = current_term(school)
    context: dict = {"school": school, "term": term, "people": {}, "commendations": []}
    if term is not None:
        people = queries.engagement(term)
        context.update(
            teachers=people[queries.TEACHER],
            families=people[queries.FAMILY],
            commendations=list(queries.commendations(term)),
        )
    return render(request, "reports/recognition.html", context)


@login_required
@require_POST
def commend(request):
    school = access_admin_school(request)
    term = current_term(school)
    try:
        if term is None:
            raise ValidationError(_("The school has no current term yet. An admin must create one first."))
        try:
            person_id = int(request.POST.get("person_id", ""))
        except ValueError:
            raise ValidationError(_("Choose someone from this term's list.")) from None
        commendation = actions.do_commend(
            term,
            acting_user=request.user,
            roles=request.roles,
            kind=request.POST.get("kind", ""),
            person_id=person_id,
            award=request.POST.get("award", ""),
            citation=request.POST.get("citation", ""),
            notify=request.POST.get("notify") == "1",
            request=request,
        )
        messages.success(request, _("%(name)s is commended. The certificate is ready.") % {"name": commendation.name})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("reports:recognition")


@login_required
@require_GET
def certificate(request, commendation_id: int):
    commendation = access_commendation(request, commendation_id)
    try:
        data = certificates.certificate_pdf(commendation, day=timezone.localdate())
    except certificates.PdfUnavailable:
        return certificates.unavailable()
    actions.record_certificate_export(commendation, acting_user=request.user, request=request)
    return certificates.pdf_response(data, f"{commendation.name}{commendation.award}荣誉证书.pdf")
