from django.urls import include, path

from . import views

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
    path("files/<int:pk>/", views.file_download, name="file"),
    path("files/<int:pk>/remove/", views.file_remove, name="file_remove"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/files/", views.attach, name="attach"),
    path("<int:pk>/reviewers/", views.assign, name="assign"),
    path("<int:pk>/decision/", views.decide, name="decide"),
]
