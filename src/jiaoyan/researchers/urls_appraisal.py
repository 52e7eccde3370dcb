"""URLs of the self-review and the annual appraisal (under /researchers/appraisal/)."""

from django.urls import path

from . import views_appraisal as v

urlpatterns = [
    path("", v.appraisal_list, name="appraisals"),
    path("<int:pk>/", v.appraisal_detail, name="appraisal"),
    path("<int:pk>/self-assess/", v.appraisal_self_assess, name="appraisal_self_assess"),
    path("<int:pk>/review/", v.appraisal_review, name="appraisal_review"),
    path("<int:pk>/confirm/", v.appraisal_confirm, name="appraisal_confirm"),
    path("schemes/", v.scheme_list, name="schemes"),
    path("schemes/new/", v.scheme_new, name="scheme_create"),
    path("schemes/<int:pk>/", v.scheme_detail, name="scheme"),
    path("schemes/<int:pk>/indicators/", v.indicator_new, name="indicator_new"),
    path("schemes/<int:pk>/open/", v.scheme_open, name="scheme_open"),
    path("schemes/<int:pk>/close/", v.scheme_close, name="scheme_close"),
    path(
        "schemes/<int:pk>/indicators/<int:indicator_pk>/",
        v.indicator_edit,
        name="indicator_edit",
    ),
    path(
        "schemes/<int:pk>/indicators/<int:indicator_pk>/delete/",
        v.indicator_delete,
        name="indicator_delete",
    ),
    path("standards/new/", v.standard_new, name="standard_create"),
    path("standards/<int:pk>/", v.standard_detail, name="standard"),
    path("self-reviews/", v.self_review_overview, name="self_reviews"),
    path("self-reviews/<int:pk>/", v.self_review_detail, name="self_review"),
    path("researcher/<int:pk>/self-review/", v.self_review_edit, name="self_review_edit"),
]
