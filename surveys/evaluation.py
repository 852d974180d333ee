"""The built-in monthly evaluation of home–school communication (R15): one questionnaire for
parents, one for teachers. A school copies it into its own template once, adjusts it with the
survey builder, and schedules it for the months of the term. Each question has a ``key`` that
every month's copy keeps, so the evaluation page can follow one question from month to month."""

from django.utils.translation import gettext as _

from .models import Question, Survey

K = Question.Kind


def builtin_questions(series: str) -> list[dict]:
    if series == Survey.Series.EVAL_TEACHERS:
        channels = _("Effect of each channel")
        return [
            {
                "key": "channels",
                "section": channels,
                "kind": K.MATRIX,
                "text": _("How well did each channel work with families this month?"),
                "options": [_("Notices"), _("Class group"), _("Contact book"), _("Home visits"), _("Parent meetings")],
            },
            {
                "key": "parent_timely",
                "section": _("This month"),
                "kind": K.RATING,
                "text": _("How promptly did families respond to notices?"),
            },
            {
                "key": "workload",
                "section": _("This month"),
                "kind": K.RATING,
                "text": _("Was the time home–school communication took reasonable?"),
                "help_text": _("1 = far too much, 5 = just right"),
            },
            {
                "key": "support",
                "section": _("This month"),
                "kind": K.MULTIPLE,
                "text": _("Where would you like the school's support?"),
                "options": [
                    _("Difficult conversations"),
                    _("Home visits"),
                    _("Parent meetings"),
                    _("Students of concern"),
                ],
                "required": False,
            },
            {
                "key": "improve",
                "section": _("Suggestions"),
                "kind": K.LONG_TEXT,
                "text": _("What should we improve?"),
                "required": False,
            },
        ]
    channels = _("Satisfaction with each channel")
    return [
        {
            "key": "channels",
            "section": channels,
            "kind": K.MATRIX,
            "text": _("How satisfied were you this month with each way the school keeps in touch?"),
            "options": [_("Notices"), _("Class group"), _("Contact book"), _("Phone calls"), _("Parent meetings")],
        },
        {
            "key": "timely",
            "section": _("Information"),
            "kind": K.RATING,
            "text": _("Did information from the school and the class reach you in time?"),
        },
        {
            "key": "clear",
            "section": _("Information"),
            "kind": K.RATING,
            "text": _("Was the information clear and easy to understand?"),
        },
        {
            "key": "frequency",
            "section": _("Contact"),
            "kind": K.SINGLE,
            "text": _("How often would you like the teacher to contact you?"),
            "options": [_("Every week"), _("Every two weeks"), _("Every month"), _("Only when there is something")],
        },
        {
            "key": "recommend",
            "section": _("Contact"),
            "kind": K.NPS,
            "text": _("How likely are you to recommend our class's way of keeping in touch to other parents?"),
            "help_text": _("0 = not at all likely, 10 = extremely likely"),
        },
        {
            "key": "improve",
            "section": _("Suggestions"),
            "kind": K.LONG_TEXT,
            "text": _("What should we improve?"),
            "required": False,
        },
    ]


def builtin_title(series: str) -> str:
    if series == Survey.Series.EVAL_TEACHERS:
        return _("Monthly evaluation of home–school communication (teachers)")
    return _("Monthly evaluation of home–school communication (parents)")


def builtin_description(series: str) -> str:
    if series == Survey.Series.EVAL_TEACHERS:
        return _("Tell the working group how communication with families went this month. It takes two minutes.")
    return _(
        "Tell us how home–school communication went this month. It takes two minutes, and the school uses "
        "the answers to improve."
    )
