"""What many answer schemas of the API share: how a row's subject, stage and unit are
shown. Only resolvers — each schema still declares its fields, in its own order::

    class PlanOut(NamesOut):
        org_unit_name: str
        subject: str | None
        stage: str | None
"""

from ninja import Schema


class NamesOut(Schema):
    """``subject`` by name and ``stage`` by code (null where the row has none), and
    ``org_unit_name``, the owning unit's name (select the relations they read)."""

    @staticmethod
    def resolve_subject(obj) -> str | None:
        return obj.subject.name if obj.subject_id else None

    @staticmethod
    def resolve_stage(obj) -> str | None:
        return obj.stage.code if obj.stage_id else None

    @staticmethod
    def resolve_org_unit_name(obj) -> str:
        return obj.org_unit.name
