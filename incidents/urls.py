from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("incidents/new/", views.incident_open, name="open"),
    path("incidents/new/components/", views.component_fields, name="component_fields"),
    path("incidents/<int:pk>/", views.incident_detail, name="detail"),
    path("incidents/<int:pk>/updates/", views.incident_post_update, name="post_update"),
    path("incidents/<int:pk>/reopen/", views.incident_reopen, name="reopen"),
    path("incidents/<int:pk>/customers/", views.incident_add_customer, name="add_customer"),
]
