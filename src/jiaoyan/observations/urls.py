from django.urls import path

from . import views

app_name = "observations"

urlpatterns = [
    path("", views.observation_list, name="observation_list"),
    path("new/", views.observation_new, name="observation_new"),
    path("<int:pk>/", views.observation_detail, name="observation_detail"),
    path("<int:pk>/edit/", views.observation_edit, name="observation_edit"),
    path("<int:pk>/submit/", views.observation_submit, name="observation_submit"),
    path("<int:pk>/delete/", views.observation_delete, name="observation_delete"),
    path("<int:pk>/reply/", views.observation_reply, name="observation_reply"),
    path("<int:pk>/correct/", views.observation_correct, name="observation_correct"),
    path("<int:pk>/activity/", views.observation_link, name="observation_link"),
    path("growth/", views.my_growth, name="my_growth"),
    path("growth/<int:person_pk>/", views.growth, name="growth"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/<int:unit_pk>/", views.coverage, name="coverage_unit"),
    path("analysis/", views.analysis, name="analysis"),
    path("analysis/<int:unit_pk>/", views.analysis, name="analysis_unit"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rubrics/", views.rubric_list, name="rubric_list"),
    path("rubrics/new/", views.rubric_new, name="rubric_new"),
    path("rubrics/<int:pk>/", views.rubric_detail, name="rubric_detail"),
    path("rubrics/<int:pk>/edit/", views.rubric_edit, name="rubric_edit"),
    path("rubrics/<int:pk>/active/", views.rubric_toggle, name="rubric_toggle"),
    path("rubrics/<int:pk>/v<int:number>/", views.rubric_version, name="rubric_version"),
    path("liaisons/", views.liaison_list, name="liaison_list"),
    path("liaisons/new/", views.liaison_new, name="liaison_new"),
    path("liaisons/<int:pk>/end/", views.liaison_end, name="liaison_end"),
]
