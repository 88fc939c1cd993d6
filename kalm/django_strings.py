"""Django's own interface strings that its nl/de catalogs do not translate (yet).

Django 6.1 labels the empty choice of a select ``"- Select an option -"``
(``django.db.models.fields.BLANK_CHOICE_LABEL``, used by ModelChoiceField and model-choice
fields), and its nl/de catalogs lack the string, so a Dutch or German console showed it in
English. Naming the msgid here lets ``makemessages`` extract it into the project's catalogs
(``locale/``), which Django consults before its own: translated there, it is translated
wherever Django shows it. Nothing imports this module at run time; ``gettext_noop`` only
marks the strings. tests/kalm/test_django_strings.py checks they still are Django's.
"""

from django.utils.translation import gettext_noop

UNTRANSLATED_BY_DJANGO = [
    gettext_noop("- Select an option -"),
]
