from django.urls import include, path

from . import views, views_previews, views_rubrics, views_stats, views_use

app_name = "resources"

urlpatterns = [
    path("", views.library, name="library"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.create, name="create"),
    path("reviews/", views.review_queue, name="reviews"),
    path("reviews/<int:pk>/", views.review, name="review"),
    path("reviews/<int:pk>/remove/", views.unassign, name="unassign"),
    path("rounds/", include("jiaoyan.resources.urls_rounds")),
    path("curriculum/", views.curriculum, name="curriculum"),
    path("statistics/", views_stats.statistics, name="statistics"),
    path("rubrics/", views_rubrics.rubric_list, name="rubrics"),
    path("rubrics/new/", views_rubrics.rubric_create, name="rubric_create"),
    path("rubrics/<int:pk>/edit/", views_rubrics.rubric_edit, name="rubric_edit"),
    path("rubrics/<int:pk>/retire/", views_rubrics.rubric_retire, name="rubric_retire"),
    path("rubrics/<int:pk>/restore/", views_rubrics.rubric_restore, name="rubric_restore"),
    path("files/<int:pk>/", views.file_download, name="file"),
    path("files/<int:pk>/remove/", views.file_remove, name="file_remove"),
    path("files/<int:pk>/preview/", views_previews.file_preview, name="file_preview"),
    path("files/<int:pk>/pdf/", views_previews.file_rendition, name="file_rendition"),
    # the public 云课堂 page, no login (views_public.py)
    path("public/", include("jiaoyan.resources.urls_public")),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/files/", views.attach, name="attach"),
    path("<int:pk>/reviewers/", views.assign, name="assign"),
    path("<int:pk>/decision/", views.decide, name="decide"),
    # using a resource (views_use.py)
    path("favourites/", views_use.favourites, name="favourites"),
    path("favourites/<int:pk>/remove/", views_use.unfavourite, name="unfavourite"),
    path("ratings/<int:pk>/remove/", views_use.unrate, name="unrate"),
    path("comments/<int:pk>/remove/", views_use.comment_delete, name="comment_delete"),
    path("applications/<int:pk>/remove/", views_use.use_delete, name="use_delete"),
    path("<int:pk>/favourite/", views_use.favourite, name="favourite"),
    path("<int:pk>/rate/", views_use.rate, name="rate"),
    path("<int:pk>/comments/", views_use.comment, name="comment"),
    path("<int:pk>/used/", views_use.record_use, name="use"),
]
