from django.urls import path

from console.views import intake as views

app_name = "monitoring"

urlpatterns = [
    path("integrations/", views.integration_list, name="integrations"),
    path("integrations/<int:pk>/", views.integration_detail, name="integration"),
    path("integrations/<int:pk>/rotate/", views.integration_rotate, name="rotate"),
    path("integrations/<int:pk>/rules/", views.rule_add, name="rule_add"),
    path("integrations/<int:pk>/rules/<int:rule_pk>/delete/", views.rule_delete, name="rule_delete"),
    path("integrations/<int:pk>/test/", views.integration_test, name="test"),
    path("alerts/", views.alert_inbox, name="inbox"),
    path("alerts/<int:pk>/<slug:action>/", views.alert_act, name="act"),
]
