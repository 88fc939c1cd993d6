from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView

from api.root import api
from kalm.health import healthz, readyz
from kalm.metrics import metrics


@require_safe
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """``/favicon.ico``, which browsers and feed readers ask for by themselves: the static icon."""
    response = HttpResponseRedirect(static("favicon.ico"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


# The admin has no login page of its own: it sends people to /accounts/login/, where the
# second factor and the lockout apply (otherwise /admin/login/ would sign in without them).
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="incidents:dashboard", permanent=False)),
    path("favicon.ico", favicon, name="favicon"),
    # django-allauth's views under Kalm's URL names (LOGIN_URL = "login"); allauth's own names
    # (account_login, account_logout, ...) come from allauth.urls below and resolve to the same URLs.
    path("accounts/login/", allauth_views.login, name="login"),
    path("accounts/logout/", allauth_views.logout, name="logout"),
    path("accounts/", include("allauth.urls")),
    path("console/security/", include("accounts.urls")),
    path("console/", include("console.urls.incidents")),
    path("console/", include("console.urls.comms")),
    path("console/api-tokens/", include("console.urls.tokens")),
    path("console/audit/", include("console.urls.audit")),
    path("console/drills/", include("console.urls.drills")),
    path("console/monitoring/", include("console.urls.intake")),
    path("console/playbook/", include("console.urls.playbook")),
    path("console/followup/", include("console.urls.followup")),
    path("console/insight/", include("console.urls.insight")),
    path("status/", include("statuspage.urls")),
    path("", include("console.urls.reports")),
    path("", include("console.urls.service_reports")),  # console/insight/reports/, service-reports/<token>/
    path("api/v1/", api.urls),
    path("intake/", include("intake.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),  # Prometheus: loopback or KALM_METRICS_TOKEN
]
