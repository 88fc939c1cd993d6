"""The check a message template passes before it is saved: size, syntax, known variables, and
trial renders under the sending bounds on the sample facts (``comms.messages.samples``).
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from jinja2 import TemplateSyntaxError, meta

from comms.messages.budget import BOUNDS, number
from comms.messages.context import ALLOWED_VARIABLES
from comms.messages.rendering import (
    FALLBACK_LANGUAGE,
    SOURCE_MAX,
    RenderError,
    TemplateSource,
    located,
    render_parts,
)
from comms.messages.samples import contrasting_sample_context, sample_context, sparse_sample_context
from comms.messages.sandbox import EXPLORATIONS, compile_template, parse


def template_errors(*, subject: str, body: str) -> list[str]:
    """Why this template must not be saved: size, syntax, unknown variables, failures on sample data.

    The trial renders run under the same bounds as sending. They use the full sample, a
    sparse one (every optional fact empty) and a contrasting one (every fact different), so
    both sides of ``{% if workaround %}`` and of ``{% if number != "<the sample's>" %}`` run;
    then two passes that render every branch of every ``{% if %}`` (and either value of
    ``a if b else c``) at once, where only what a bound or rule refuses counts: a template
    that only explodes for facts the samples do not have is refused here, not at send time.
    """
    errors: list[str] = []
    for part, source in ((_("Subject"), subject), (_("Body"), body)):
        errors.extend(_static_errors(part, source))
    if errors:
        return errors
    source = TemplateSource(subject=subject, body=body, origin="text")
    for make_context in (sample_context, sparse_sample_context, contrasting_sample_context):
        try:
            render_parts(source, context=make_context(FALLBACK_LANGUAGE), bounds=BOUNDS)
        except RenderError as error:
            errors.extend(message for message in error.errors if message not in errors)
            if error.bounded:
                return errors
    for explore in EXPLORATIONS:
        try:
            render_parts(source, context=sample_context(FALLBACK_LANGUAGE), bounds=BOUNDS, explore=explore)
        except RenderError as error:
            if error.bounded:
                return errors + [message for message in error.errors if message not in errors]
    return errors


def _static_errors(part: str, source: str) -> list[str]:
    if len(source) > SOURCE_MAX:
        return [_("%(part)s: the template is longer than %(limit)s characters.")
                % {"part": part, "limit": number(SOURCE_MAX)}]
    try:
        compile_template(source)
        tree = parse(source)
    except TemplateSyntaxError as error:
        return [located(part, error.lineno, error.message or str(error))]
    except RecursionError:
        return [_("%(part)s: the template is nested too deeply.") % {"part": part}]
    unknown = sorted(meta.find_undeclared_variables(tree) - ALLOWED_VARIABLES)
    if not unknown:
        return []
    message = ngettext(
        "%(part)s: %(names)s is not a known variable. Use only the variables listed next to the editor.",
        "%(part)s: %(names)s are not known variables. Use only the variables listed next to the editor.",
        len(unknown),
    )
    return [message % {"part": part, "names": ", ".join(unknown)}]
