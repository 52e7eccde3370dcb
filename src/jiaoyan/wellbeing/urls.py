from django.urls import path

from . import views

app_name = "wellbeing"

urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("scales/", views.scale_list, name="scales"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("students/<int:pk>/", views.student_detail, name="student"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
]
