"""The checker measured on the labelled corpus (core/tests/guardrail_corpus/): it must catch what
the rules forbid (recall) without warning on the look-alikes (false alarm rate)."""

from core.guardrails import CODES
from core.tests.guardrail_corpus.evaluate import FALSE_ALARM_GOAL, RECALL_GOAL, evaluate, roster, samples


def test_the_corpus_is_large_balanced_and_covers_every_rule():
    rows = samples()
    violations = [s for s in rows if s.expect]
    assert len(rows) >= 400
    assert 0.4 <= len(violations) / len(rows) <= 0.6
    used = set().union(*(s.expect for s in violations))
    assert used == set(CODES), set(CODES) ^ used
    assert len(roster()) == 50
    assert len({s.text for s in rows}) == len(rows), "a message is listed twice"


def test_the_checker_meets_its_goals_on_the_corpus():
    result = evaluate()
    misses = "\n".join(
        f"  missed {sorted(s.expect - set(got))} in {s.family}:{s.line} {s.text!r}" for s, got in result.misses
    )
    alarms = "\n".join(f"  alarm {got} in {s.family}:{s.line} {s.text!r}" for s, got in result.alarms if not s.expect)
    assert result.recall >= RECALL_GOAL, f"recall {result.recall:.3f}\n{misses}"
    assert result.false_alarm_rate <= FALSE_ALARM_GOAL, f"false alarms {result.false_alarm_rate:.3f}\n{alarms}"
