from django.urls import path

from console.views import cadence, contracts, dashboard, incidents, maintenance, regulatory

app_name = "incidents"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("incidents/new/", incidents.incident_open, name="open"),
    path("incidents/new/components/", incidents.component_fields, name="component_fields"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="detail"),
    path("incidents/<int:pk>/updates/", incidents.incident_post_update, name="post_update"),
    path("incidents/<int:pk>/reopen/", incidents.incident_reopen, name="reopen"),
    path("incidents/<int:pk>/customers/", incidents.incident_add_customer, name="add_customer"),
    path("incidents/<int:pk>/next-update/", cadence.incident_extend_due, name="extend_due"),
    path("incidents/<int:pk>/acknowledge/", cadence.incident_acknowledge, name="acknowledge"),
    path("regulatory-clocks/<int:pk>/file/", regulatory.clock_file, name="clock_file"),
    path("customers/<slug:slug>/contract/", contracts.contract, name="contract"),
    path("maintenance/", maintenance.maintenance_list, name="maintenance_list"),
    path("maintenance/new/", maintenance.maintenance_new, name="maintenance_new"),
    path("maintenance/new/components/", maintenance.maintenance_component_fields,
         name="maintenance_component_fields"),
    path("maintenance/<int:pk>/", maintenance.maintenance_detail, name="maintenance_detail"),
    path("maintenance/<int:pk>/texts/", maintenance.maintenance_edit, name="maintenance_edit"),
    path("maintenance/<int:pk>/<slug:action>/", maintenance.maintenance_action, name="maintenance_action"),
]
