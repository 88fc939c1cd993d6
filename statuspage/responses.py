"""The HTTP side of the status page documents: what a request asks for, and the response around
a document's bytes. The bytes themselves come from ``statuspage.documents``, which never sees
the request; access (who may see the page, private headers) is ``statuspage.access``.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from statuspage.access import Access
from statuspage.documents import Document
from statuspage.site import Site


def chosen_language(request: HttpRequest) -> str | None:
    """``?lang=`` when it names one of the configured languages; anything else is ignored."""
    value = request.GET.get("lang", "")
    return value if value in dict(settings.LANGUAGES) else None


def page_language(request: HttpRequest, access: Access) -> str:
    """The language a status page document is rendered in: the chosen one, else the customer's."""
    return chosen_language(request) or access.customer.language


def visitor_site(request: HttpRequest, access: Access) -> Site:
    """The ``Site`` for this visitor: the chosen language and (secret link) token travel in the links."""
    return Site.of(access.customer, private=access.private, lang=chosen_language(request) or "",
                   token=access.token)


def document_response(document: Document) -> HttpResponse:
    """The document's bytes, content type and own headers (Content-Disposition, Last-Modified)."""
    response = HttpResponse(document.body, content_type=document.content_type)
    for name, value in document.headers.items():
        response.headers[name] = value
    return response


def html_response(document: Document, *, language: str) -> HttpResponse:
    """An HTML page: says its language, and is revalidated on every visit (it changes any minute)."""
    response = document_response(document)
    response.headers["Content-Language"] = language
    patch_cache_control(response, no_cache=True)
    return response


def cacheable_response(document: Document, access: Access, *, max_age: int) -> HttpResponse:
    """A machine-readable document: briefly cacheable, by anyone when the page is public."""
    response = document_response(document)
    if access.private:
        patch_cache_control(response, max_age=max_age)
    else:
        patch_cache_control(response, public=True, max_age=max_age)
    return response
