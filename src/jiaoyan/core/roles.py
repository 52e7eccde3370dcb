"""The roles a person can hold on an org unit (GLOSSARY: People)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BUREAU_ADMIN = "bureau_admin", _("Bureau admin")
    RESEARCHER = "researcher", _("Researcher")
    PRINCIPAL = "principal", _("Principal")
    TEACHER = "teacher", _("Teacher")
    COUNSELLOR = "counsellor", _("Counsellor")
    AUDITOR = "auditor", _("Auditor")


#: The roles that work on a unit's data. The auditor (审计员) reads the audit log of its
#: subtree and nothing else: its assignments are not scopes (``core.scope.user_scopes``
#: leaves them out), only ``core.scope.auditor_paths``.
ALL_ROLES = frozenset(Role.values) - {Role.AUDITOR}
ADMINS = frozenset({Role.BUREAU_ADMIN})

# The Chinese job names used in sheets (岗位) and the role each one means.
ROLE_BY_SHEET_NAME = {
    "局管理员": Role.BUREAU_ADMIN,
    "管理员": Role.BUREAU_ADMIN,
    "教育局管理员": Role.BUREAU_ADMIN,
    "教研员": Role.RESEARCHER,
    "校长": Role.PRINCIPAL,
    "园长": Role.PRINCIPAL,
    "教师": Role.TEACHER,
    "心理教师": Role.COUNSELLOR,
    "心理健康教师": Role.COUNSELLOR,
    "审计员": Role.AUDITOR,
}
SHEET_NAME_BY_ROLE = {
    Role.BUREAU_ADMIN: "局管理员",
    Role.RESEARCHER: "教研员",
    Role.PRINCIPAL: "校长",
    Role.TEACHER: "教师",
    Role.COUNSELLOR: "心理教师",
    Role.AUDITOR: "审计员",
}
