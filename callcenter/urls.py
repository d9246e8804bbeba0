"""Root URLs: one include per app; pages first, APIs under /api/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from agents import console as agents_console
from callcenter import apis, audit_views, views
from telephony import console as telephony_console
from telephony import views as telephony_views
from telephony.ivr import apis as ivr_apis

console_patterns = (
    [
        path("", views.console_home, name="home"),
        path("users/", views.console_users, name="users"),
        path("users/<int:user_id>/", views.console_user_edit, name="user_edit"),
        path("feeds/", telephony_views.feeds, name="feeds"),
        path("audit/", audit_views.audit_log, name="audit"),
        *telephony_console.urlpatterns,
        *agents_console.urlpatterns,
    ],
    "console",
)

api_patterns = [
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("me/preferences/", apis.MePreferencesApi.as_view(), name="api-me-preferences"),
    path("audit/", audit_views.AuditListApi.as_view(), name="api-audit"),
    path("telephony/", include("telephony.urls")),
    path("telephony/", include(ivr_apis.urlpatterns)),
    path("", include("tickets.api_urls")),
    path("", include("agents.api_urls")),
    path("qa/", include("qa.api_urls")),
    path("kpi/", include("kpi.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/preferences/", views.preferences, name="preferences"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("console/", include(console_patterns)),
    path("desktop/", include("agents.urls")),
    path("wfm/", include("agents.wfm.views")),
    path("qa/", include("qa.urls")),
    path("", include("tickets.urls")),
    path("", include("kpi.urls")),
    path("api/", include(api_patterns)),
    path("django-admin/", admin.site.urls),
]

handler403 = "callcenter.views.error_403"
handler404 = "callcenter.views.error_404"
handler500 = "callcenter.views.error_500"
