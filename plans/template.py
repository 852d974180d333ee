"""The built-in plan a school adopts and then edits (seeds 001 §五, the school's monthly schedule,
and 000, the class plan). Months are counted from the term's first month: a spring term runs
Feb (0) to Jul (5); an autumn term Sep (0) to Jan (4), and what falls after its last month lands
in its last month. Owners are roles: ``admin`` (the adopting admin, who reassigns), ``all_heads``.

Titles are translated when the plan is adopted: the copy belongs to the school from then on."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class TemplateTask:
    month: int  # 0: the term's first month
    title: Promise
    owner: str  # "admin" or "all_heads"
    description: Promise | str = ""


SCHOOL_SCHEDULE = [
    TemplateTask(0, _("Write and issue the term's home-school plan"), "admin"),
    TemplateTask(0, _("Set up the home-school committee office"), "admin"),
    TemplateTask(0, _("Elect the class parent committees"), "all_heads"),
    TemplateTask(0, _("Draw up the parents' duty roster"), "all_heads"),
    TemplateTask(0, _("First parent-school training"), "admin"),
    TemplateTask(1, _("Parents' essay contest"), "admin"),
    TemplateTask(1, _("Sports meet with parents"), "admin"),
    TemplateTask(2, _("Class outing with parents"), "all_heads"),
    TemplateTask(3, _("Parent meeting"), "all_heads"),
    TemplateTask(3, _("Home-school newspaper"), "admin"),
    TemplateTask(4, _("Children's Day with parents"), "admin"),
    TemplateTask(4, _("Third parent-school training"), "admin"),
    TemplateTask(5, _("Home-school newspaper (term issue)"), "admin"),
]

CLASS_PLAN = [
    TemplateTask(0, _("Announce the class's channels to families"), "all_heads"),
    TemplateTask(0, _("A class update every week"), "all_heads", _("Once a week, all term.")),
    TemplateTask(0, _("A themed discussion every month"), "all_heads", _("One a month, all term.")),
    TemplateTask(1, _("First class parent meeting"), "all_heads"),
    TemplateTask(4, _("Second class parent meeting"), "all_heads"),
    TemplateTask(
        5, _("Two contacts with every student's family"), "all_heads", _("Visits, calls or talks; two per student.")
    ),
    TemplateTask(0, _("Monthly phone follow-up of students of concern"), "all_heads", _("Every month, all term.")),
    TemplateTask(3, _("One parent-school session for the class"), "all_heads"),
    TemplateTask(0, _("The monthly class evaluation"), "all_heads", _("Every month, all term.")),
    TemplateTask(5, _("The term's home-school summary"), "all_heads"),
]

TEMPLATE = SCHOOL_SCHEDULE + CLASS_PLAN
