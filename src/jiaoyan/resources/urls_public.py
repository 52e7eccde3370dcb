"""Routes of the public 云课堂 page (no login), under /resources/public/ (included by
urls.py in its namespace)."""

from django.urls import path

from . import views_public as views

urlpatterns = [
    path("", views.library, name="public"),
    path("<int:pk>/", views.detail, name="public_detail"),
    path("files/<int:pk>/", views.file_download, name="public_file"),
    path("files/<int:pk>/preview/", views.file_preview, name="public_preview"),
    path("files/<int:pk>/pdf/", views.file_rendition, name="public_rendition"),
]
