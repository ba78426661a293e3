"""What calibration says about figures it cannot stand behind: labels from outside a sample,
and recall withheld; one wording each, shared by the advice and the JSON notes."""

from __future__ import annotations

MIN_FAILS_FOR_RECALL = 5  # SME-failed items in the judge-pass pool before recall is reported


def design_warning(outside: int, total: int) -> str | None:
    """What labels from outside a sample mean for the figures, and what would weight them."""
    if outside == 0:
        return None
    remedy = (
        "attach them with --sample or draw a sample and review it. Labels attached to a"
        " sample (import-labels FILE --sample SAMPLE) carry their items' inclusion"
        " probabilities, which the weighted (dataset) figures need"
    )
    if outside == total:
        return (
            f"these {outside} labels were not drawn by a Switchyard sample: figures describe"
            f" them only; {remedy}."
        )
    return (
        f"{outside} of these {total} labels were not drawn by a Switchyard sample: they join"
        f" the unweighted figures only; to weight them, {remedy}."
    )


def recall_withheld(fails_in_pass: int) -> str:
    """Why recall (and F1, its harmonic mean with precision) is not reported."""
    return (
        f"it needs at least {MIN_FAILS_FOR_RECALL} SME-failed items among the judge's passes,"
        f" found {fails_in_pass}"
    )
