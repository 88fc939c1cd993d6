from django.urls import path

from console.views import tokens as views

app_name = "tokens"

urlpatterns = [
    path("", views.api_tokens, name="list"),
    path("<int:pk>/revoke/", views.api_token_revoke, name="revoke"),
]
