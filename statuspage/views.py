from django.http import HttpRequest, HttpResponse


def status_page(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError
