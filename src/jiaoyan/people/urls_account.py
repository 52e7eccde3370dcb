"""My account, at /me/ (mounted in the project's urls.py under the ``account`` namespace)."""

from django.urls import path

from . import views_account

app_name = "account"

urlpatterns = [
    path("", views_account.me, name="me"),
    path("tokens/<int:pk>/revoke/", views_account.revoke_token, name="revoke_token"),
]
