from django.urls import path

from console.views import audit as views

app_name = "audit"

urlpatterns = [
    path("", views.audit_events, name="events"),
    path("export.csv", views.audit_events_csv, name="csv"),
]
