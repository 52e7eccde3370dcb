"""Routes of the recommendation rounds, under the resource library's /resources/rounds/
(included by urls.py in its namespace)."""

from django.urls import path

from . import views_rounds as views

urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("new/", views.round_create, name="round_create"),
    path("entries/<int:pk>/withdraw/", views.withdraw, name="round_withdraw"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/candidates/", views.round_candidates, name="round_candidates"),
    path("<int:pk>/sent/", views.round_sent, name="round_sent"),
    path("<int:pk>/received/", views.round_received, name="round_received"),
    path("<int:pk>/results/", views.round_results, name="round_results"),
    path("<int:pk>/recommend/", views.recommend, name="round_recommend"),
    path("<int:pk>/announce/", views.announce, name="round_announce"),
    path("<int:pk>/quota/", views.set_quota, name="round_quota"),
]
