"""Field names SPEC §5 makes public: the report shapes the tests hold the plugin to."""

from __future__ import annotations

RECORD_KEYS = {
    "datapoint_id",
    "eval",
    "model",
    "input",
    "expected",
    "output",
    "score",
    "passed",
    "scores",
    "latency_ms",
    "tokens",
    "cost",
    "cached",
    "status",
    "error",
    "flaky",
    "judge_tokens",
    "judge_cost",
    "metadata",
}
RUN_KEYS = {
    "id",
    "name",
    "eval",
    "spec_path",
    "model",
    "status",
    "progress",
    "total",
    "kept",
    "crashed",
    "config",
    "scorers",
    "result_items",
    "summary",
    "created_at",
    "finished_at",
}
