"""The desk's knowledge base panel (htmx / fetch fragments under /desk/kb/): search, suggestions for the
call's product, an article (counted as opened) and "this answered it" (counted)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.kb.actions import do_count_use
from hotline.kb.models import Category
from hotline.kb.queries import for_product, product_of_call, top_this_week
from hotline.kb.search import Search, search, visible


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@require_GET
def kb_search(request: HttpRequest) -> HttpResponse:
    """Articles for the words typed, in the product and category chosen (both optional)."""
    require_perm(request, Perm.VIEW_ARTICLE)
    category_id = _int(request.GET.get("category"))
    category = Category.objects.filter(pk=category_id).first() if category_id else None
    query = Search(text=request.GET.get("q", ""), product_id=_int(request.GET.get("product")), category=category)
    return render(request, "kb/desk_results.html", {"articles": search(query), "searched": True})


@login_required
@require_GET
def kb_suggest(request: HttpRequest) -> HttpResponse:
    """Before the agent types: the articles of the call's product (else of the product on air), the most used
    first, then the week's top questions."""
    require_perm(request, Perm.VIEW_ARTICLE)
    product = product_of_call(request.GET.get("call_id", "").strip())
    articles = for_product(product.pk) if product is not None else []
    seen = {article.pk for article in articles}
    articles += [row.article for row in top_this_week(limit=8) if row.article.pk not in seen]
    return render(request, "kb/desk_results.html", {"articles": articles[:10], "product": product})


@login_required
@require_GET
def kb_article(request: HttpRequest, pk: int) -> HttpResponse:
    """An article in the panel; opening it is counted."""
    user = require_perm(request, Perm.VIEW_ARTICLE)
    article = get_object_or_404(visible().select_related("category"), pk=pk)
    do_count_use(article, "open", actor=user)
    return render(request, "kb/desk_article.html", {"article": article})


@login_required
@require_POST
def kb_answered(request: HttpRequest, pk: int) -> HttpResponse:
    """"This answered it": counted once per press."""
    user = require_perm(request, Perm.VIEW_ARTICLE)
    article = get_object_or_404(visible(), pk=pk)
    try:
        do_count_use(article, "answered", actor=user)
    except ValidationError as error:
        return render(request, "kb/desk_answered.html", {"errors": error.messages}, status=422)
    return render(request, "kb/desk_answered.html", {"article": article})
