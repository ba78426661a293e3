"""A canary request's judge verdict, as SQL shared by the canary's checks
(core.analysis.canary.evidence) and the SME review draws (core.review.canary_sampling).

A request passes when every scored gating metric passes at the catalog's threshold, in the
metric's direction (``metrics.passes``); it has no verdict (no row) when none was scored.
"""

from __future__ import annotations

from core.catalog import metrics

# One row per judged request: (request_id, judge_passed). Bind $1 = the migration id and
# $2 = the gating metrics (VARCHAR[]; empty: every metric with a threshold).
VERDICT_SQL = f"""
    SELECT s.request_id, bool_and({metrics.passes("s.score", "m.default_threshold", "m.direction")})
           AS judge_passed
    FROM canary_score s JOIN metric m ON m.metric = s.metric
    WHERE s.migration_id = $1 AND s.score IS NOT NULL
      AND m.default_threshold IS NOT NULL
      AND (len($2::VARCHAR[]) = 0 OR list_contains($2::VARCHAR[], s.metric))
    GROUP BY s.request_id
"""  # noqa: S608 - the direction's operator comes from metrics.passes; values are bound
