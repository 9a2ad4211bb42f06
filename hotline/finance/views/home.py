"""/finance/: the receivables for whoever may see them (finance and managers start there after sign-in);
anyone else is sent to the first tab they may use."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from hotline.accounts.permissions import Perm
from hotline.finance.views import receivables
from hotline.finance.views.common import TAB_PERMS, tabs_for


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    tabs = tabs_for(request.user) if request.user.has_perm(Perm.VIEW_FINANCE) else []
    if not tabs:
        raise PermissionDenied()
    if request.user.has_perm(TAB_PERMS["receivables"]):
        return receivables.index(request)
    return HttpResponseRedirect(reverse(tabs[0]["url"]))
