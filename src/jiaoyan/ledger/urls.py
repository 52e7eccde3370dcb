from django.urls import path

from . import views, views_briefs

app_name = "ledger"

urlpatterns = [
    path("", views.board, name="board"),
    path("supervision/", views.supervision, name="supervision"),
    path("items/new/", views.item_create, name="item_create"),
    path("items/people/", views.person_options, name="person_options"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/report/", views.item_report, name="report"),
    path("items/<int:pk>/verify/", views.item_verify, name="verify"),
    path("items/<int:pk>/send_back/", views.item_send_back, name="send_back"),
    path("items/<int:pk>/cancel/", views.item_cancel, name="cancel"),
    path("items/<int:pk>/escalate/", views.item_escalate, name="escalate"),
    path("supervisions/<int:pk>/close/", views.supervision_close, name="supervision_close"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("import/", views.ledger_import, name="import"),
    path("briefs/", views_briefs.brief_list, name="brief_list"),
    path("briefs/new/", views_briefs.brief_create, name="brief_create"),
    path("briefs/<int:pk>/", views_briefs.brief_detail, name="brief"),
    path("briefs/<int:pk>/docx/", views_briefs.brief_docx, name="brief_docx"),
    path("reports/monthly/", views_briefs.monthly, name="monthly"),
    path("reports/quarterly/", views_briefs.quarterly, name="quarterly"),
]
