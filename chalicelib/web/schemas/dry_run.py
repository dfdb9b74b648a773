"""The answer of a policy dry run."""

from __future__ import annotations

from typing import Any

from ...domain.eligibility import Verdict
from ...services.dry_run_policy import DryRun


def _verdict_summary(verdict: Verdict) -> dict[str, Any]:
    return {"status": verdict.status, "reason_code": verdict.reason_code}


def dry_run_to_json(result: DryRun) -> dict[str, Any]:
    """Counts per verdict status under the current and the candidate policy, with examples."""
    return {
        "orders_judged": result.orders_judged,
        "lines_judged": result.lines_judged,
        "current": {"version": result.current_version, "counts": dict(result.current_counts)},
        "candidate": {"counts": dict(result.candidate_counts)},
        "lines_changed": result.lines_changed,
        "examples": [
            {
                "order_number": change.order_number,
                "line_id": change.before.line_id,
                "before": _verdict_summary(change.before),
                "after": _verdict_summary(change.after),
            }
            for change in result.examples
        ],
    }
