"""Mounted at ``console/followup/``: an incident's follow-up, the actions list, credit policies, the billing export."""

from django.urls import path

from console.views import followup

app_name = "followup"

urlpatterns = [
    path("incidents/<int:pk>/", followup.incident_followup, name="incident"),
    path("incidents/<int:pk>/escalations/", followup.escalation_create, name="escalation_create"),
    path("incidents/<int:pk>/compensation/", followup.compensation_propose, name="compensation_propose"),
    path("incidents/<int:pk>/actions/", followup.action_create, name="action_create"),
    path("escalations/<int:pk>/close/", followup.escalation_close, name="escalation_close"),
    path("compensation/<int:pk>/decide/", followup.compensation_decide, name="compensation_decide"),
    path("actions/", followup.action_list, name="actions"),
    path("actions/<int:pk>/close/", followup.action_close, name="action_close"),
    path("customers/<slug:slug>/credit/", followup.credit_policy, name="credit_policy"),
    path("credits.csv", followup.credits_csv, name="credits_csv"),
]
