"""The telephony loader's field problems in the user's language.

The engine's loader may not import Django, so it reports a problem with a node's field as a template and
its values (`FieldProblem`); this table holds the same templates as translatable messages. A test keeps
the two lists in step, so the English text is exactly the loader's.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from hotline.telephony.ivr import loader
from hotline.telephony.ivr.loader import FieldProblem, Problem

FIELD_PROBLEMS: Mapping[str, Promise] = {
    loader.UNKNOWN_FIELD: gettext_lazy("node '%(node)s': unknown field '%(field)s' for type '%(type)s'"),
    loader.MISSING_FIELD: gettext_lazy("node '%(node)s': missing '%(field)s'"),
    loader.NOT_TEXT: gettext_lazy("node '%(node)s': '%(field)s' must be a string"),
    loader.NOT_PROMPTS: gettext_lazy("node '%(node)s': '%(field)s' must be a prompt id or a list of prompt ids "
                                     "(lower-case letters, digits, '_')"),
    loader.NOT_OPTIONS: gettext_lazy("node '%(node)s': '%(field)s' must map keys to node names"),
    loader.NOT_DTMF: gettext_lazy("node '%(node)s': '%(field)s' has keys that are not one DTMF key "
                                  "(0-9, * or #): %(keys)s"),
    loader.NOT_PHRASES: gettext_lazy("node '%(node)s': '%(field)s' must map status codes to prompt ids"),
    loader.NOT_SECONDS: gettext_lazy("node '%(node)s': '%(field)s' must be a number of seconds in (0, 300]"),
    loader.NOT_COUNT: gettext_lazy("node '%(node)s': '%(field)s' must be a whole number from %(low)d to 99"),
    loader.NOT_WHOLE: gettext_lazy("node '%(node)s': '%(field)s' must be a whole number"),
    loader.NOT_LOOKUP: gettext_lazy("node '%(node)s': '%(field)s' must be 'caller' or 'variable'"),
    loader.NOT_FLAG: gettext_lazy("node '%(node)s': '%(field)s' must be true or false"),
}


def problem_text(problem: Problem) -> str:
    """One problem in the active language (problems the table does not know stay in English)."""
    if isinstance(problem, FieldProblem) and problem.template in FIELD_PROBLEMS:
        return str(FIELD_PROBLEMS[problem.template]) % problem.params
    return str(problem)
