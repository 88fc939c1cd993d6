"""Mounted at the site root: the report's console pages under ``console/``, its public signed link under
``reports/``."""

from django.urls import path

from console.views import reports
from reports.views import public_report

app_name = "reports"

urlpatterns = [
    path("console/incidents/<int:pk>/report/", reports.review, name="review"),
    path("console/incidents/<int:pk>/report/status/", reports.render_status, name="status"),
    path("console/incidents/<int:pk>/report/regenerate/", reports.regenerate, name="regenerate"),
    path("console/incidents/<int:pk>/report.pdf", reports.download, name="download"),
    path("console/incidents/<int:pk>/report/send-summary/", reports.send_summary, name="send_summary"),
    path("reports/<str:token>/", public_report, name="public"),
]
