from django.urls import path

from console.views import playbook as views

app_name = "playbook"

urlpatterns = [
    path("incidents/<int:pk>/roles/", views.role_assign, name="role_assign"),
    path("incidents/<int:pk>/checklist/start/", views.checklist_start, name="checklist_start"),
    path("roles/<int:pk>/acknowledge/", views.role_ack, name="role_ack"),
    path("acknowledge/<str:token>/", views.role_ack_link, name="role_ack_link"),
    path("checklist/<int:pk>/done/", views.item_done, name="item_done"),
    path("rota/", views.rota, name="rota"),
    path("rota/<int:pk>/delete/", views.rota_delete, name="rota_delete"),
    path("checklists/", views.templates, name="templates"),
    path("checklists/new/", views.template_edit, name="template_new"),
    path("checklists/<int:pk>/", views.template_edit, name="template_edit"),
]
