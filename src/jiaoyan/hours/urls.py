from django.urls import path

from . import views

app_name = "hours"

urlpatterns = [
    path("", views.mine, name="mine"),
]
