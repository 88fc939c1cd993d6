"""Mounted at the site root: the monthly service reports in the console under ``console/insight/reports/``,
the signed link of their e-mail under ``service-reports/``."""

from django.urls import path

from console.views import service_reports as views

app_name = "service_reports"

urlpatterns = [
    path("console/insight/reports/", views.service_report_list, name="list"),
    path("console/insight/reports/<slug:slug>/", views.service_report_customer, name="customer"),
    path("console/insight/reports/<slug:slug>/render/", views.service_report_render, name="render"),
    path("console/insight/reports/<slug:slug>/<str:month>.pdf", views.service_report_download, name="download"),
    path("service-reports/<str:token>/", views.service_report_public, name="public"),
]
