from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView

from api.root import api
from kalm.health import healthz, readyz


@require_safe
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """``/favicon.ico``, which browsers and feed readers ask for by themselves: the static icon."""
    response = HttpResponseRedirect(static("favicon.ico"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="incidents:dashboard", permanent=False)),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("console/", include("console.urls.incidents")),
    path("console/", include("console.urls.comms")),
    path("console/api-tokens/", include("console.urls.tokens")),
    path("status/", include("statuspage.urls")),
    path("", include("console.urls.reports")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
