"""URL map: pages per app, the API under /api/v1/, log-in under /accounts/."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.static import serve

from jiaoyan.core import ops
from jiaoyan.core import views as core_views
from jiaoyan.core.api import urls as api_urls
from jiaoyan.people.views_account import LoginView

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="registration/password_change.html", success_url="/me/?password=1"
        ),
        name="password_change",
    ),
    path("healthz", ops.healthz, name="healthz"),
    path("metrics", ops.metrics, name="metrics"),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("", include("jiaoyan.core.urls")),
    path("me/", include("jiaoyan.people.urls_account")),
    path("orgs/", include("jiaoyan.orgs.urls")),
    path("people/", include("jiaoyan.people.urls")),
    path("activities/", include("jiaoyan.activities.urls")),
    path("hours/", include("jiaoyan.hours.urls")),
    path("quality/", include("jiaoyan.quality.urls")),
    path("observations/", include("jiaoyan.observations.urls")),
    path("ledger/", include("jiaoyan.ledger.urls")),
    path("pairing/", include("jiaoyan.pairing.urls")),
    path("communities/", include("jiaoyan.communities.urls")),
    path("training/", include("jiaoyan.training.urls")),
    path("resources/", include("jiaoyan.resources.urls")),
    path("projects/", include("jiaoyan.projects.urls")),
    path("outcomes/", include("jiaoyan.outcomes.urls")),
    path("wellbeing/", include("jiaoyan.wellbeing.urls")),
    path("researchers/", include("jiaoyan.researchers.urls")),
    path("api/v1/", api_urls()),
]

if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))

handler403 = "jiaoyan.core.errorviews.forbidden"
handler404 = "jiaoyan.core.errorviews.not_found"
handler500 = "jiaoyan.core.errorviews.server_error"
