"""The JSON API under /api/v1/ (django-ninja): ``root`` (the API object, Bearer tokens, errors),
``incidents`` and ``reports`` (the endpoints), ``schemas`` (what goes in and out)."""
