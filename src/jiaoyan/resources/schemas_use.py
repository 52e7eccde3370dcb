"""API shapes of using the library: favourites, ratings, comments, applications."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class FavouriteOut(Schema):
    id: int
    resource: int = Field(..., alias="resource_id")
    resource_title: str = Field(..., alias="resource.title")
    org_unit: int = Field(..., alias="resource.org_unit_id")
    created_at: dt.datetime


class FavouriteIn(Schema):
    pass


class RatingOut(Schema):
    id: int
    resource: int = Field(..., alias="resource_id")
    org_unit: int = Field(..., alias="resource.org_unit_id")
    score: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RatingIn(Schema):
    score: int = Field(..., description="a whole number from 1 to 5")


class CommentOut(Schema):
    id: int
    resource: int = Field(..., alias="resource_id")
    org_unit: int = Field(..., alias="resource.org_unit_id")
    user_name: str
    text: str
    created_at: dt.datetime


class CommentIn(Schema):
    text: str = Field(..., max_length=2000)


class ApplicationOut(Schema):
    id: int
    resource: int = Field(..., alias="resource_id")
    org_unit: int = Field(..., alias="resource.org_unit_id")
    user_name: str
    day: dt.date
    note: str
    created_at: dt.datetime


class ApplicationIn(Schema):
    day: dt.date | None = Field(None, description="the day of the lesson; empty: today")
    note: str = Field("", max_length=500)
