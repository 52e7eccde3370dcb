"""Error pages in the UI language (and JSON for the API)."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def forbidden(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": _("Permission denied.")}, status=403)
    message = str(exception) if exception and str(exception) else _("Permission denied.")
    return render(request, "403.html", {"message": message}, status=403)


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if _wants_json(request):
        return JsonResponse({"detail": _("Internal error.")}, status=500)
    return render(
        request, "500.html", {"request_id": getattr(request, "request_id", "")}, status=500
    )
