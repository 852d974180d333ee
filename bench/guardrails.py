"""Class-channel guardrails benchmark (issue 18): how well the checker (``core.guardrails``) does on
the labelled corpus, and how long it takes on a chat message.

Run from the repository root (no database is needed):

    .venv/bin/python bench/guardrails.py

It prints, for each rule, the messages of the corpus (core/tests/guardrail_corpus/) that expect it,
how many of them the checker caught (recall), and on how many other messages the rule warned
(false alarms); then the time per message of the checker on 200-character class-group messages
against a 50-name roster (the corpus's roster), the time of the bad inputs (a 100,000-character
message, only emoji, only digits), and as its last two lines

    guardrail_recall: X
    guardrail_false_alarm_rate: Y

Goals: recall ≥ 0.95, false alarm rate ≤ 0.05 (share of look-alike messages with any warning),
under 1 ms per 200-character message (the checker runs on every chat message), under 100 ms for
any bad input. Exits 1 if a goal is missed.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongxin.settings")
os.environ.setdefault("TONGXIN_TESTING", "1")

import django  # noqa: E402

django.setup()

from core.guardrails import CODES, check_class_message  # noqa: E402
from core.tests.guardrail_corpus.evaluate import (  # noqa: E402
    FALSE_ALARM_GOAL,
    HELD_OUT,
    RECALL_GOAL,
    evaluate,
    roster,
    samples,
)

PER_MESSAGE_GOAL_MS = 1.0
BAD_INPUT_GOAL_MS = 100.0
MESSAGE_CHARS = 200


def two_hundred_char_messages() -> list[str]:
    """The corpus's messages run together and cut into 200-character pieces: real wording, and as
    many violations as look-alikes."""
    text = "".join(sample.text for sample in samples())
    return [text[i : i + MESSAGE_CHARS] for i in range(0, len(text) - MESSAGE_CHARS, MESSAGE_CHARS)]


def time_per_message(messages: list[str], names: list[str], rounds: int = 5) -> float:
    """Milliseconds per message: the median over ``rounds`` passes over all the messages."""
    for message in messages:  # warm the roster's pattern and the regex caches
        check_class_message(message, student_names=names)
    passes = []
    for _ in range(rounds):
        start = time.perf_counter()
        for message in messages:
            check_class_message(message, student_names=names)
        passes.append((time.perf_counter() - start) / len(messages) * 1000)
    return statistics.median(passes)


def time_once(text: str, names: list[str]) -> float:
    start = time.perf_counter()
    check_class_message(text, student_names=names)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    names = roster()
    result = evaluate(names=names)
    ok = True
    print(f"{'rule':<22}{'expected':>9}{'caught':>8}{'recall':>8}{'false alarms':>14}")
    for code in CODES:
        expected, caught = result.expected[code], result.caught[code]
        recall = caught / expected if expected else 1.0
        print(f"{code:<22}{expected:>9}{caught:>8}{recall:>8.2f}{result.false_alarms[code]:>14}")
    print(f"look-alike messages: {result.lookalikes}, warned: {result.lookalikes_warned}")
    for sample, got in result.misses:
        print(f"  missed {sorted(sample.expect - set(got))}: {sample.family}:{sample.line}")
    for sample, got in result.alarms:
        print(f"  false alarm {sorted(set(got) - sample.expect)}: {sample.family}:{sample.line}")

    messages = two_hundred_char_messages()
    per_message = time_per_message(messages, names)
    print(
        f"checker: {per_message:.3f} ms per {MESSAGE_CHARS}-character message, {len(names)}-name roster "
        f"({len(messages)} messages, median of 5 passes; goal < {PER_MESSAGE_GOAL_MS} ms)"
    )
    ok &= per_message < PER_MESSAGE_GOAL_MS

    bad_inputs = {
        "100,000 characters of a real message repeated": ("".join(messages) * 20)[:100_000],
        "only emoji (5,000)": "😀👍🙏" * 1667,
        "only digits (20,000)": "1234567890" * 2000,
        "full-width digits and spaces (10,000)": "１２３　４５６ " * 1250,
        "one 50,000-character word": "王" * 50_000,
    }
    for label, text in bad_inputs.items():
        took = min(time_once(text, names) for _ in range(3))
        print(f"bad input, {label}: {took:.1f} ms (goal < {BAD_INPUT_GOAL_MS:.0f} ms)")
        ok &= took < BAD_INPUT_GOAL_MS

    held = evaluate(names=names, folder=HELD_OUT)
    print(
        f"held-out set ({sum(held.expected.values())} expected warnings, {held.lookalikes} look-alikes; never tuned "
        f"against, no goal): recall {held.recall:.3f}, false alarm rate {held.false_alarm_rate:.3f}"
    )

    ok &= result.recall >= RECALL_GOAL and result.false_alarm_rate <= FALSE_ALARM_GOAL
    print(f"goals: recall >= {RECALL_GOAL}, false alarm rate <= {FALSE_ALARM_GOAL}: {'met' if ok else 'MISSED'}")
    print(f"guardrail_recall: {result.recall:.3f}")
    print(f"guardrail_false_alarm_rate: {result.false_alarm_rate:.3f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
