"""How the review screen looks: the key legend and the colours of chosen values.

The colours are the page's own CSS (no asset from elsewhere). Chosen score and preference,
pass and fail each have a colour and a shape of their own, so they read apart without
colour too: a filled dot (chosen), a check (pass, blue), a cross (fail, orange).
"""

from __future__ import annotations

import streamlit as st

# slate (chosen), blue (pass), orange (fail): blue and orange stay apart in every common
# colour blindness, and the slate is darker than both.
COLOURS = {"chosen": "#37474f", "pass": "#1f5fa8", "fail": "#c24e00"}
CSS = f"""
<style>
[class*="st-key-review-"][class*="-scores"] [data-testid="stBaseButton-primary"],
.st-key-review-preferences [data-testid="stBaseButton-primary"] {{
  background: {COLOURS["chosen"]}; border-color: {COLOURS["chosen"]}; color: #fff; font-weight: 700;
}}
[class*="-verdict-pass"] button {{
  background: {COLOURS["pass"]}; border-color: {COLOURS["pass"]}; color: #fff;
}}
[class*="-verdict-fail"] button {{
  background: {COLOURS["fail"]}; border-color: {COLOURS["fail"]}; color: #fff;
}}
[class*="st-key-review-"][class*="-scores"] button {{ min-width: 2.6rem; padding: 0 0.6rem; }}
/* the failure-mode chips wrap instead of scrolling out of a 1280 px screen */
[class*="st-key-review-"][class*="-modes"] [data-testid="stButtonGroup"] > div {{
  flex-wrap: wrap; row-gap: 0.4rem; overflow-x: visible;
}}
.st-key-review-legend {{ font-size: 0.85rem; color: #555866; }}
.st-key-review-legend kbd {{
  border: 1px solid #c7c9d1; border-bottom-width: 2px; border-radius: 4px;
  padding: 0 0.25rem; font-size: 0.75rem; background: #f7f7f9;
}}
</style>
"""


def style() -> None:
    st.html(CSS)


def legend(pair: bool) -> None:
    """The keys, grouped as the screen is, in one short line."""
    keys = [("<kbd>1</kbd>–<kbd>5</kbd>", "score A")]
    if pair:
        keys.append(("<kbd>6</kbd>–<kbd>0</kbd>", "score B"))
    sides = "<kbd>Q</kbd> <kbd>W</kbd>" if pair else "<kbd>Q</kbd>"
    flags = "<kbd>X</kbd> <kbd>Y</kbd>" if pair else "<kbd>X</kbd>"
    keys += [(sides, "pass/fail"), (flags, "safety")]
    if pair:
        keys.append(("<kbd>A</kbd> <kbd>B</kbd> <kbd>T</kbd>", "better"))
    keys += [
        ("<kbd>Ctrl</kbd>+<kbd>Enter</kbd>", "submit"),
        ("<kbd>S</kbd>", "skip"),
        ("<kbd>←</kbd>", "back"),
    ]
    with st.container(key="review-legend"):
        st.html(" · ".join(f"{k} {what}" for k, what in keys))
