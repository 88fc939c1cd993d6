from django.urls import path

from console.views import compose, log, mailbox, stakeholders, templates

app_name = "comms"

urlpatterns = [
    # Communication log (log.py)
    path("communications/", log.communication_log, name="log"),
    path("communications/export.csv", log.communication_log_csv, name="log_csv"),
    path("incidents/<int:pk>/communications/", log.incident_communications, name="incident_log"),
    path("deliveries/<int:pk>/", log.delivery_detail, name="delivery"),
    path("endpoints/release/", log.endpoint_release, name="endpoint_release"),
    # Stakeholders (stakeholders.py)
    path("stakeholders/", stakeholders.stakeholder_customers, name="stakeholder_customers"),
    path("customers/<slug:slug>/stakeholders/", stakeholders.stakeholder_list, name="stakeholders"),
    path("customers/<slug:slug>/stakeholders/new/", stakeholders.stakeholder_edit, name="stakeholder_new"),
    path("customers/<slug:slug>/stakeholders/<int:pk>/", stakeholders.stakeholder_edit, name="stakeholder_edit"),
    path("customers/<slug:slug>/stakeholders/import/", stakeholders.stakeholder_import, name="stakeholder_import"),
    path("customers/<slug:slug>/stakeholders/import/example.csv", stakeholders.stakeholder_import_example,
         name="stakeholder_import_example"),
    # Templates (templates.py)
    path("templates/", templates.template_list, name="templates"),
    path("templates/edit/", templates.template_edit, name="template_edit"),
    path("templates/preview/", templates.template_preview, name="template_preview"),
    # Composer (compose.py)
    path("incidents/<int:pk>/compose/", compose.compose, name="compose"),
    # Development mail viewer (mailbox.py)
    path("mail/", mailbox.mailbox, name="mailbox"),
]
