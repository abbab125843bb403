"""A tiny support-ticket triage "app": the code under evaluation in triage.eval.yaml.

Real teams point `target:` at the function their product calls; this one is rule-based so
the example runs offline, instantly and deterministically.
"""

from __future__ import annotations

import json

_CATEGORIES = {
    "billing": ("invoice", "refund", "charged", "payment", "price"),
    "account": ("password", "login", "sign in", "2fa", "email address"),
    "bug": ("error", "crash", "broken", "exception", "fails"),
}
_URGENT = ("urgent", "asap", "down", "immediately", "outage")


def triage(item: dict) -> str:
    """Classify a ticket; returns JSON text like a model asked for structured output."""
    text = str(item["input"]).lower()
    category = next(
        (name for name, words in _CATEGORIES.items() if any(w in text for w in words)),
        "other",
    )
    priority = "high" if any(w in text for w in _URGENT) else "normal"
    return json.dumps({"category": category, "priority": priority})
