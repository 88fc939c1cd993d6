"""Mounted at the site root (``path("", include("reports.urls"))``): console pages under
``console/``, the public signed link under ``reports/``."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("console/incidents/<int:pk>/report/", views.review, name="review"),
    path("console/incidents/<int:pk>/report/status/", views.render_status, name="status"),
    path("console/incidents/<int:pk>/report/regenerate/", views.regenerate, name="regenerate"),
    path("console/incidents/<int:pk>/report.pdf", views.download, name="download"),
    path("console/incidents/<int:pk>/report/send-summary/", views.send_summary, name="send_summary"),
    path("reports/<str:token>/", views.public_report, name="public"),
]
