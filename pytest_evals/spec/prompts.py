"""The chat messages sent to the model for one datapoint. No pytest import."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import Datapoint, EvalSpec
from .templates import render

DEFAULT_PROMPT = "{{ input }}"


def build_messages(spec: EvalSpec, datapoint: Datapoint) -> list[dict[str, str]]:
    """System prompt + the datapoint's own chat, the spec's message templates, or the
    prompt template (default ``{{ input }}``)."""
    context: Mapping[str, Any] = {"item": datapoint.data}
    own_chat = datapoint.data.get("messages")
    if own_chat is not None:
        messages = [{"role": str(m["role"]), "content": str(m["content"])} for m in own_chat]
    elif spec.messages is not None:
        messages = [
            {"role": m["role"], "content": render(m["content"], context)} for m in spec.messages
        ]
    else:
        messages = [{"role": "user", "content": render(spec.prompt or DEFAULT_PROMPT, context)}]
    if spec.system_prompt is not None and not (messages and messages[0]["role"] == "system"):
        messages.insert(0, {"role": "system", "content": render(spec.system_prompt, context)})
    return messages
