from django.urls import path

from statuspage import views

app_name = "statuspage"

urlpatterns = [
    path("<slug:slug>/", views.status_page, name="page"),
]
