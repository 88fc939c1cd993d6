from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("", views.receive_by_bearer, name="bearer"),
    path("<str:token>/", views.receive_by_address, name="receive"),
]
