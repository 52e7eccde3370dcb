"""Pages of the work ledger (thin: parse, call a service or a query, render)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from jiaoyan.core.scope import get_visible_or_404

from .models import Item


@login_required
def item_detail(request, pk: int):
    item = get_visible_or_404(Item, request.user, pk=pk)
    return render(request, "ledger/item_detail.html", {"item": item})
