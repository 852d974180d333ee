"""The rules' names as the admin page and guide show them."""

from django.utils.translation import gettext_lazy as _

from core import guardrails as g

RULE_LABELS = {
    g.SCORES: _("Scores and rankings"),
    g.NAMED_EVALUATION: _("Criticism of a named student"),
    g.HOMEWORK_FOR_PARENTS: _("Homework for parents"),
    g.VOTE_CAMPAIGN: _("Votes, likes and red packets"),
    g.PRIVATE_INFO: _("Personal data"),
    g.CHECKIN: _("Check-ins and photos of homework"),
    g.PAID_MATERIALS: _("Paid materials"),
    g.COLLECTING_MONEY: _("Collecting money or gifts"),
    g.FAMILY_CIRCUMSTANCES: _("A child's family or health"),
    g.PARENTS_STAFF_WORK: _("Parents doing staff's work"),
    g.SCHOOL_WORDS: _("Your school's own words"),
}
