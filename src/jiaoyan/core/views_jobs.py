"""The progress of any background job: one page and its HTMX fragment."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Job
from .scope import get_visible_or_404


@login_required
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress: the fragment for HTMX polling, a page otherwise. A poll that
    saw the job running (``?was=active``) and finds it finished reloads the page around
    it, which then shows the job's outcome (the analysis, the document, the report)."""
    job = get_visible_or_404(Job, request.user, pk=pk)
    if not request.htmx:
        return render(request, "core/job_detail.html", {"job": job})
    response = render(request, "includes/job_progress.html", {"job": job})
    if request.GET.get("was") == "active" and job.is_finished:
        response["HX-Refresh"] = "true"
    return response
