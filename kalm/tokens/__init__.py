"""The console's API tokens page (``/console/api-tokens/``): everyone lists, creates and revokes
their own tokens; managers see and revoke everyone's. Another user's token is a 404 to an
account manager, the same as one that does not exist.

The raw token is shown once, on the page answering the create request (never cached); only
its hash is stored (``kalm.models.ApiToken``).
"""
