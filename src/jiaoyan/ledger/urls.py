from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("items/<int:pk>/", views.item_detail, name="item"),
]
