from django.urls import path

from console.views import insight as views

app_name = "insight"

urlpatterns = [
    path("", views.insight_dashboard, name="dashboard"),
    path("<slug:key>.csv", views.insight_chart_csv, name="csv"),
]
