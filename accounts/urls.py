"""Mounted at ``console/security/`` (kalm/urls.py)."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("lockouts/", views.lockouts, name="lockouts"),
    path("lockouts/lift/", views.lift_lockout, name="lift_lockout"),
]
