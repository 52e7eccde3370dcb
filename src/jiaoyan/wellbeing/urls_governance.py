"""Addresses of the governance pages, under ``/wellbeing/governance/`` (namespace
``wellbeing``)."""

from django.urls import path

from . import views_governance as views

urlpatterns = [
    path("reads/", views.reads, name="reads"),
    path("exports/", views.exports, name="exports"),
    path("exports/<int:pk>/", views.export_detail, name="export"),
    path("exports/<int:pk>/approve/", views.export_approve, name="export_approve"),
    path("exports/<int:pk>/reject/", views.export_reject, name="export_reject"),
    path("exports/<int:pk>/file/", views.export_download, name="export_download"),
]
