from django.urls import path

from . import views, views_briefs

app_name = "ledger"

urlpatterns = [
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("briefs/", views_briefs.brief_list, name="brief_list"),
    path("briefs/new/", views_briefs.brief_create, name="brief_create"),
    path("briefs/<int:pk>/", views_briefs.brief_detail, name="brief"),
    path("briefs/<int:pk>/docx/", views_briefs.brief_docx, name="brief_docx"),
    path("reports/monthly/", views_briefs.monthly, name="monthly"),
    path("reports/quarterly/", views_briefs.quarterly, name="quarterly"),
]
