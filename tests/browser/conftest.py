"""Browser tests (Chromium through Playwright): the ``browser`` and ``new_page`` fixtures are in
tests/browser_fixtures.py, shared by every directory; the cache is emptied before each test by
the root conftest (allauth's per-address sign-in limits must not carry over)."""
