from django.urls import path

from . import views, views_points, views_rounds

app_name = "outcomes"

urlpatterns = [
    path("", views.outcome_list, name="list"),
    path("new/", views.create, name="create"),
    path("overview/", views.overview, name="overview"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/files/", views.attach, name="attach"),
    path("<int:pk>/promotions/", views.promote, name="promote"),
    path("<int:pk>/adoptions/", views.adopt, name="adopt"),
    path("files/<int:pk>/", views.file_download, name="file"),
    path("files/<int:pk>/remove/", views.file_remove, name="file_remove"),
    path("promotions/<int:pk>/remove/", views.promotion_delete, name="promotion_delete"),
    path("adoptions/<int:pk>/remove/", views.adoption_delete, name="adoption_delete"),
    # selection rounds (views_rounds.py)
    path("rounds/", views_rounds.round_list, name="rounds"),
    path("rounds/new/", views_rounds.round_create, name="round_create"),
    path("rounds/<int:pk>/", views_rounds.round_detail, name="round"),
    path("rounds/<int:pk>/table/", views_rounds.selection_table, name="round_table"),
    path("rounds/<int:pk>/recommend/", views_rounds.recommend, name="recommend"),
    path("rounds/<int:pk>/announce/", views_rounds.announce, name="announce"),
    path("entries/<int:pk>/recommend/", views_rounds.recommend_on, name="recommend_on"),
    path("entries/<int:pk>/withdraw/", views_rounds.withdraw, name="withdraw"),
    path("entries/<int:pk>/experts/", views_rounds.assign_expert, name="assign_expert"),
    path("scores/", views_rounds.my_scores, name="my_scores"),
    path("scores/<int:pk>/", views_rounds.score, name="score"),
    # points (views_points.py)
    path("points/", views_points.ranking, name="points"),
    path("points/table/", views_points.point_table, name="point_table"),
    path("points/table/set/", views_points.point_rule_set, name="point_rule_set"),
    path("points/table/<int:pk>/remove/", views_points.point_rule_delete, name="point_rule_delete"),
]
