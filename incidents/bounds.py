"""How far input may reach: the lengths of an incident's texts and the times it may name.

The console's forms and the API read these, and the services enforce the times, so both ways
in give the same answer (a 422 naming the field) and nothing out of range reaches a page, a
message or a feed. A year each way is far beyond any real incident and far inside what every
time zone, database and template can represent.
"""

from datetime import timedelta

# Texts (characters). The API and the console's forms share them: a text one lets through must
# fit the other, whose form sends it back on every later update.
MAX_TITLE = 200
MAX_MESSAGE = 5_000  # a timeline message: what stakeholders read
MAX_SHORT_TEXT = 2_000  # business impact, workaround
MAX_LONG_TEXT = 5_000  # root cause, resolution summary

# Times, around now.
AHEAD = timedelta(days=365)  # the latest ETA, postponed update, maintenance window or scheduled send
BACK = timedelta(days=365)  # the earliest start of an incident
# An ETA typed to the minute may be a few seconds past when the form arrives.
ETA_GRACE = timedelta(minutes=1)
