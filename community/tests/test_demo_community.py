"""The demo school's 三年级2班 has a committee and a class fund with countersigned entries."""

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from community.models import CommitteeMember, LedgerEntry
from community.queries import fund_ledger
from schools.demo import DEMO_PARENT_PHONE

pytestmark = pytest.mark.django_db


def test_the_demo_class_has_a_committee_and_a_ledger(school_day):
    call_command("load_demo", students_per_class=12, stdout=None)
    with scopes_disabled():
        seats = CommitteeMember.objects.filter(committee__school_class__grade=3, committee__school_class__number=2)
        assert {"chair", "treasurer", "member"} <= set(seats.values_list("role", flat=True))
        assert seats.filter(guardian__phone=DEMO_PARENT_PHONE).exists()
        entries = LedgerEntry.objects.filter(school_class__grade=3, school_class__number=2)
        assert entries.filter(countersigned_at__isnull=False).count() == 3
        assert entries.filter(countersigned_at__isnull=True).count() == 1
        ledger = fund_ledger(entries.first().school_class)
        assert ledger.balance_fen == 200000 - 35680 - 12800
    call_command("load_demo", students_per_class=12, stdout=None)  # again: nothing twice
    with scopes_disabled():
        assert LedgerEntry.objects.count() == 4
