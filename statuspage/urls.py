from django.urls import path

from statuspage import api, endpoints, subscription_views, views

app_name = "statuspage"


def _api_name(document: str) -> str:
    """ "incidents/unresolved.json" → "api-incidents-unresolved"."""
    return "api-" + document.removesuffix(".json").replace("/", "-")


urlpatterns = [
    path("<slug:slug>/", views.status_page, name="page"),
    path("<slug:slug>/incidents/<str:number>/", views.incident_detail, name="incident"),
    path("<slug:slug>/history/", views.history, name="history"),
    path("<slug:slug>/history.rss", endpoints.history_feed, {"feed": "history-rss"}, name="history-rss"),
    path("<slug:slug>/history.atom", endpoints.history_feed, {"feed": "history-atom"}, name="history-atom"),
    path("<slug:slug>/maintenance.ics", endpoints.maintenance_ics, name="maintenance-ics"),
    path("<slug:slug>/badge.svg", endpoints.badge, name="badge"),
    path("<slug:slug>/subscribe/", subscription_views.subscribe, name="subscribe"),
    path("<slug:slug>/subscriptions/confirm/<str:token>/", subscription_views.confirm, name="subscription-confirm"),
    path("<slug:slug>/subscriptions/<str:token>/", subscription_views.manage, name="subscription-manage"),
    path("<slug:slug>/subscriptions/<str:token>/unsubscribe/", subscription_views.unsubscribe,
         name="subscription-unsubscribe"),
    *[
        path(f"<slug:slug>/api/v2/{document}", endpoints.api_document, {"document": document},
             name=_api_name(document))
        for document in api.ENDPOINTS
    ],
]
