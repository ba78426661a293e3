"""Every sentence of the demo's sign-off writes its numbers as core.formatting does (issue 16,
item 2): the criteria's evidence, what would settle them, and the canary plan.

Seen before: 'SME-corrected difference -11.0% (-43.8% to +24.4%)' (a difference of two pass
rates in %), 'per query 0.00658 → 0.00184 USD; saving 0.00474 (0.00453 to 0.00497)' (money
without its code in front), 'p90: 1006 → 616 ms' and 'about 2030 more paired items'.
"""

import re

import pytest

from core.analysis import signoff

FLOAT = re.compile(r"(?<![\w.])-?\d[\d,]*\.\d+")
LONG_COUNT = re.compile(r"(?<![\w.,-])[-+]?\d{4,}(?![\w.,])")  # '2030': no thousands separator
SIGNED_PERCENT = re.compile(r"[+-]\d[\d.]*%")  # of two pass rates: points ('pp'), not %
PERCENT_TO = re.compile(r"\d%? to [+-]?\d[\d.]*%")  # a percent interval reads '82.4–86.5%'
CODE_AFTER = re.compile(r"\d [A-Z]{3}\b")  # '0.00184 USD': the code comes first
MS_OVER_A_SECOND = re.compile(r"(?<![\d,.])[-+]?\d[\d,]{3,} ms")  # '1,006 ms' reads '1.01 s'
# Money with its code, and its interval's bounds: what is left of a cost sentence has no figure.
MONEY = re.compile(r"\b[A-Z]{3} -?[\d,]+(\.\d+)?( \(-?[\d,.]+ to -?[\d,.]+\))?")
NOT_MONEY = re.compile(r"[\d,]+(\.\d+)? (queries|days?)\b|\d+% over")


def significant(number: str) -> int:
    """Significant digits of a decimal ('0.00724' → 3, '0.98731' → 5)."""
    return len(number.lstrip("-").replace(",", "").replace(".", "").lstrip("0"))


def problems(name: str, sentence: str) -> list[str]:
    """What in ``sentence`` (of the criterion ``name``) is a number formatted by hand."""
    found = [f"unrounded {f}" for f in FLOAT.findall(sentence) if significant(f) > 4]
    found += [f"count without separators {c}" for c in LONG_COUNT.findall(sentence)]
    found += [f"interval with ' to ' {m}" for m in PERCENT_TO.findall(sentence)]
    found += [f"milliseconds over a second {m}" for m in MS_OVER_A_SECOND.findall(sentence)]
    if name.startswith("Quality"):
        found += [f"difference of rates in % {m}" for m in SIGNED_PERCENT.findall(sentence)]
    if name.startswith("Cost") or "cost per query" in sentence:
        found += [f"currency after the amount {m}" for m in CODE_AFTER.findall(sentence)]
        rest = NOT_MONEY.sub("", MONEY.sub("", sentence))
        if re.search(r"\d", rest):
            found.append(f"money without its currency: {rest!r}")
    return [f"{name}: {p} in {sentence!r}" for p in found]


def test_the_checks_catch_what_was_seen():
    seen = {
        "Quality: correctness": "SME-corrected difference -11.0% (-43.8% to +24.4%), worth 53",
        "Cost: ROI": "per query 0.00658 → 0.00184 USD; saving 0.00474 (0.00453 to 0.00497)",
        "Speed: TTFT": "p90: 1006 → 1,677 ms, increase +671 ms (upper bound +820)",
        "Quality: faithfulness": "ratio 0.98731: about 2030 more paired items",
        "Canary": "cost: cost per query above 0.00202 (10% over the projection)",
    }
    assert [len(problems(name, text)) > 0 for name, text in seen.items()] == [True] * 5
    # Three figures in % where points are meant, and the interval's ' to '.
    assert len(problems("Quality: correctness", seen["Quality: correctness"])) == 4
    fine = {
        "Quality: correctness": "SME-corrected difference -11.0 pp (-43.8 to +24.4), worth 53",
        "Cost: ROI": "per query USD 0.00658 → USD 0.00184; saving USD 0.00474 (0.00453 to "
        "0.00497); monthly at 3,000,000 queries; break-even 24.5 days",
        "Speed: TTFT": "p90: 1.01 s → 616 ms, increase -389 ms, -38.7% (upper bound -31.6%)",
        "Safety": "SME review of the 2 unreviewed safety items (fin-00480, fin-00685)",
    }
    assert [p for name, text in fine.items() for p in problems(name, text)] == []


@pytest.mark.parametrize("role", ["target", "candidate"])
def test_every_sentence_of_the_signoff_formats_its_numbers_as_the_module_does(demo_con, role):
    con = demo_con(1200)
    mid = con.execute("SELECT migration_id FROM migration").fetchone()[0]
    run = con.execute("SELECT run_id FROM run WHERE role = ?", [role]).fetchone()[0]
    report = signoff.evaluate(con, mid, run)
    sentences = [
        (c.name, s) for c in report.criteria for s in [*c.evidence, c.settle or "", c.rule]
    ]
    sentences += [("Canary", s) for st in report.canary for s in st.success + st.rollback_triggers]
    found = [p for name, sentence in sentences for p in problems(name, sentence)]
    assert found == [], found
    # The kinds the checks look for are there to check: money, seconds, points, a long count.
    text = " ".join(s for _, s in sentences)
    assert "USD 0.00658 → USD " in text and re.search(r"p90: 1\.\d\d s → ", text)
    if role == "target":  # the SME-corrected difference; the items that would settle it
        assert re.search(r"difference -?\d+\.\d pp \(", text), text
        assert re.search(r"about \d,\d{3} more paired items", text), text
