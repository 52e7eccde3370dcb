"""API of using the library: favourites, ratings (1–5, one per person: posting again
changes it), comments and applications ("I used this in my lesson") of a published
resource — list, create, delete — through the services of ``use.py``. A resource's
figures (views, downloads, uses, ratings) are on its own output."""

from __future__ import annotations

from ninja import Router

from jiaoyan.core.api_crud import Resource as ApiResource

from . import use
from .models import Application, Comment, Favourite, Rating, Resource
from .schemas_use import (
    ApplicationIn,
    ApplicationOut,
    CommentIn,
    CommentOut,
    FavouriteIn,
    FavouriteOut,
    RatingIn,
    RatingOut,
)

router = Router(tags=["resources"])

favourites = ApiResource(
    router,
    "/resource-favourites/{favourite_id}",
    Favourite.objects.select_related("resource"),
    out=FavouriteOut,
)
ratings = ApiResource(
    router,
    "/resource-ratings/{rating_id}",
    Rating.objects.select_related("resource"),
    out=RatingOut,
)
comments = ApiResource(
    router,
    "/resource-comments/{comment_id}",
    Comment.objects.select_related("resource"),
    out=CommentOut,
)
applications = ApiResource(
    router,
    "/resource-applications/{application_id}",
    Application.objects.select_related("resource"),
    out=ApplicationOut,
)

favourites.list(order=("-created_at", "-id"), summary="Your favourites").create(
    use.add_favourite,
    FavouriteIn,
    path="/resources/{resource_id}/favourites",
    parent=("resource", Resource),
    summary="Add a published resource to your favourites (again: nothing changes)",
).delete(use.remove_favourite, summary="Remove a favourite")

ratings.list(
    "/resources/{resource_id}/ratings",
    parent=("resource", Resource),
    order=("-updated_at", "-id"),
    summary="Your rating of a resource (others' ratings are seen only as the average)",
).create(
    use.rate,
    RatingIn,
    path="/resources/{resource_id}/ratings",
    parent=("resource", Resource),
    summary="Rate a published resource 1–5, or change your rating (not your own resource)",
).delete(use.remove_rating, summary="Withdraw your rating")

comments.list(
    "/resources/{resource_id}/comments",
    parent=("resource", Resource),
    order=("-created_at", "-id"),
    summary="Comments on a resource",
).create(
    use.add_comment,
    CommentIn,
    path="/resources/{resource_id}/comments",
    parent=("resource", Resource),
    summary="Comment on a published resource",
).delete(use.delete_comment, summary="Remove a comment (its writer, or a manager of the unit)")

applications.list(
    "/resources/{resource_id}/applications",
    parent=("resource", Resource),
    order=("-day", "-id"),
    summary="Uses of a resource in lessons (yours; all of them for its authors and managers)",
).create(
    use.record_use,
    ApplicationIn,
    path="/resources/{resource_id}/applications",
    parent=("resource", Resource),
    summary="Record that you used a published resource in a lesson (once a day)",
).delete(use.delete_use, summary="Withdraw your record of using a resource")
