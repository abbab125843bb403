"""pytest-evals: LLM evaluations as pytest tests."""
