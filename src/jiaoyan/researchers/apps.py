from django.utils.translation import gettext_lazy as _

from jiaoyan.core import apps as core_apps
from jiaoyan.core import nav
from jiaoyan.core.roles import Role

WORKERS = (Role.BUREAU_ADMIN, Role.RESEARCHER, Role.PRINCIPAL)


class ResearchersConfig(core_apps.ModuleConfig):
    name = "jiaoyan.researchers"
    verbose_name = _("Teaching researchers")

    nav_items = (
        nav.NavItem(
            "researchers",
            _("Researchers"),
            "researchers:list",
            order=47,
            section=nav.RESEARCH,
            visible=nav.with_role(*WORKERS),
            active_for=("researchers:list", "researchers:detail", "researchers:create"),
        ),
        nav.NavItem(
            "researchers-coverage",
            _("Liaison coverage"),
            "researchers:coverage",
            order=48,
            section=nav.EVALUATION,
            visible=nav.with_role(*WORKERS),
            active_for=("researchers:coverage",),
        ),
        nav.NavItem(
            "researchers-admission",
            _("Researcher admission"),
            "researchers:admission_rounds",
            order=49,
            section=nav.RESEARCH,
            visible=nav.has_scope,
            active_for=(
                "researchers:admission_rounds",
                "researchers:admission_round",
                "researchers:admission_applications",
                "researchers:admission_application",
            ),
        ),
        nav.NavItem(
            "researchers-appraisals",
            _("Annual appraisals"),
            "researchers:appraisals",
            order=49,
            section=nav.EVALUATION,
            visible=nav.with_role(Role.BUREAU_ADMIN, Role.RESEARCHER),
            active_for=(
                "researchers:appraisals",
                "researchers:appraisal",
                "researchers:schemes",
                "researchers:scheme",
                "researchers:self_reviews",
                "researchers:self_review",
            ),
        ),
    )
    routers = (
        "jiaoyan.researchers.api.router",
        "jiaoyan.researchers.api_admission.router",
        "jiaoyan.researchers.api_appraisal.router",
    )
