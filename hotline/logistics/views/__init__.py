"""The logistics workbench (/logistics/): one module per tab; views are thin, the actions write."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from hotline.accounts.permissions import Perm
from hotline.logistics.views.common import tabs_for
from hotline.logistics.views.review import review as review_page


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """/logistics/: the review queue for a clerk who reviews; anyone else goes to the first tab they may use."""
    if request.user.has_perm(Perm.VIEW_LOGISTICS) and request.user.has_perm(Perm.REVIEW_ORDER):
        return review_page(request)
    tabs = tabs_for(request.user) if request.user.has_perm(Perm.VIEW_LOGISTICS) else []
    if not tabs:
        raise PermissionDenied()
    return HttpResponseRedirect(reverse(tabs[0]["url"]))
