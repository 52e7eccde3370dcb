"""Pages of the screening module (filled in below)."""

from django.http import Http404


def campaigns(request):
    raise Http404


scale_list = campaign_detail = student_detail = alert_detail = lambda request, pk=None: campaigns(
    request
)
