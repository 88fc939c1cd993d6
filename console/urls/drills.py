"""Mounted at ``console/drills/`` (kalm.urls)."""

from django.urls import path

from console.views import drills

app_name = "drills"

urlpatterns = [
    path("", drills.drill_list, name="list"),
    path("<int:pk>/report/", drills.drill_report_page, name="report"),
]
