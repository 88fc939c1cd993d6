"""The webhook endpoints monitoring sources post to: ``/intake/<secret>/``, or ``/intake/`` with
``Authorization: Bearer <secret>``. Thin: reading the request, ``intake.receiving`` does the rest."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from core.http import client_ip
from intake.receiving import integration_for, receive
from intake.sources.base import MAX_BODY, Payload

logger = logging.getLogger(__name__)


@csrf_exempt  # a monitoring system, not a browser: the secret is the credential
def receive_by_address(request: HttpRequest, token: str) -> JsonResponse:
    return _receive(request, token)


@csrf_exempt
def receive_by_bearer(request: HttpRequest) -> JsonResponse:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return JsonResponse({"error": "send the integration's secret as Authorization: Bearer <secret>",
                             "field": "Authorization"}, status=401)
    return _receive(request, token.strip())


def _receive(request: HttpRequest, token: str) -> JsonResponse:
    if request.method != "POST":
        response = JsonResponse({"error": "POST the alert payload here"}, status=405)
        response["Allow"] = "POST"
        return response
    integration = integration_for(token)
    if integration is None:
        return JsonResponse({"error": "no integration has this address"}, status=404)
    try:
        if int(request.headers.get("Content-Length") or 0) > MAX_BODY:
            raise RequestDataTooBig
        body = request.body
        if len(body) > MAX_BODY:
            raise RequestDataTooBig
    except (RequestDataTooBig, ValueError):
        return JsonResponse({"error": f"the body is larger than {MAX_BODY} bytes", "field": "body"}, status=413)
    payload = Payload(body=body, content_type=request.META.get("CONTENT_TYPE", ""),
                      headers={name.lower(): value for name, value in request.headers.items()})
    try:
        receipt = receive(integration, payload, client_address=client_ip(request))
    except DatabaseError:
        logger.exception("intake: could not store alerts for integration %s", integration.pk)
        return JsonResponse({"error": "Kalm could not store the alerts; send them again"}, status=503)
    return JsonResponse(receipt.body, status=receipt.status)
