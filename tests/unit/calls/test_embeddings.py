"""Embedding batches: token shares that add up, texts sent once and billed once, cosine."""

from __future__ import annotations

import asyncio
import math

import pytest

from pytest_evals.calls.embeddings import Batch, EmbeddedText, EmbeddingBatcher, combined, shares
from pytest_evals.providers.base import ProviderError
from pytest_evals.providers.openai import parse_embeddings
from pytest_evals.scorers.base import ScorerFailure
from pytest_evals.scorers.similarity import cosine
from pytest_evals.spec.model import ModelRef

MODEL = ModelRef("emb", "e")


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (10, [1, 1], [5, 5]),
        (10, [1, 2], [3, 7]),
        (7, [1, 1, 1], [3, 2, 2]),
        (0, [5, 5], [0, 0]),
        (None, [1, 2], [None, None]),
    ],
)
def test_shares_add_up_to_the_total(
    total: int | None, weights: list[int], expected: list[int | None]
) -> None:
    assert shares(total, weights) == expected
    if total is not None:
        assert sum(s or 0 for s in shares(total, weights)) == total


def test_cosine_of_known_vectors() -> None:
    assert cosine([1, 0], [1, 1]) == pytest.approx(1 / math.sqrt(2))
    assert cosine([1, 2], [2, 4]) == pytest.approx(1.0)
    assert cosine([1, 0], [-1, 0]) == 0.0  # opposite scores 0, not -1
    assert cosine([0, 0], [0, 0]) == 0.0
    with pytest.raises(ScorerFailure, match="different lengths"):
        cosine([1, 0], [1, 0, 0])


def _part(tokens: int | None, cost: float | None, cached: bool = False) -> EmbeddedText:
    return EmbeddedText((1.0,), tokens, cost, 5.0, cached)


def test_a_scorers_texts_add_up_answered_apart_from_replayed() -> None:
    live, replayed = combined([_part(3, 0.3), _part(1, 0.1), _part(2, 0.2, cached=True)]).calls
    assert live.tokens is not None and live.tokens.total == 4 and live.cached is False
    assert live.cost == pytest.approx(0.4)
    assert replayed.tokens is not None and replayed.tokens.total == 2 and replayed.cached
    assert replayed.cost == pytest.approx(0.2)
    [only] = combined([_part(None, None, True)]).calls
    assert only.tokens is None and only.cached


def test_a_batch_sends_each_text_once_and_bills_it_once() -> None:
    async def scenario() -> tuple[list[list[str]], list[EmbeddedText]]:
        sent: list[list[str]] = []

        async def send(batch: Batch) -> list[EmbeddedText]:
            texts = batch.take()
            sent.append(list(texts))
            return [_part(len(t), 0.01 * len(t)) for t in texts]

        batcher = EmbeddingBatcher(send)
        futures = [batcher.add(MODEL, t) for t in ("a", "bb", "a", "ccc")]
        return sent, list(await asyncio.gather(*futures))

    sent, results = asyncio.run(scenario())
    assert sent == [["a", "bb", "ccc"]]
    assert [r.prompt_tokens for r in results] == [1, 2, 0, 3]  # the second "a" is not billed
    assert results[2].vector == results[0].vector


def test_a_full_batch_goes_and_the_next_texts_start_another() -> None:
    async def scenario() -> list[int]:
        sizes: list[int] = []

        async def send(batch: Batch) -> list[EmbeddedText]:
            sizes.append(len(batch.take()))
            return [_part(1, None) for _ in batch.take()]

        batcher = EmbeddingBatcher(send, limit=3)
        await asyncio.gather(*(batcher.add(MODEL, f"t{i}") for i in range(7)))
        return sizes

    assert asyncio.run(scenario()) == [3, 3, 1]


def test_a_failed_batch_fails_every_text_in_it() -> None:
    from pytest_evals.errors import SampleError

    async def scenario() -> list[BaseException | EmbeddedText]:
        async def send(batch: Batch) -> list[EmbeddedText]:
            raise SampleError("the call to emb/e failed after 1 attempt: HTTP 500")

        batcher = EmbeddingBatcher(send)
        futures = [batcher.add(MODEL, t) for t in ("x", "y")]
        return list(await asyncio.gather(*futures, return_exceptions=True))

    results = asyncio.run(scenario())
    assert all(isinstance(r, SampleError) and "HTTP 500" in str(r) for r in results)


def test_embeddings_bodies_are_read_in_index_order_and_checked() -> None:
    body = (
        b'{"data": [{"index": 1, "embedding": [0, 1]}, {"index": 0, "embedding": [1, 0]}],'
        b' "usage": {"prompt_tokens": 4}, "model": "e-1"}'
    )
    parsed = parse_embeddings(body, 2)
    assert parsed.vectors == ((1.0, 0.0), (0.0, 1.0))
    assert parsed.prompt_tokens == 4 and parsed.model == "e-1"
    with pytest.raises(ProviderError, match="1 embeddings for 2 inputs"):
        parse_embeddings(b'{"data": [{"index": 0, "embedding": [1]}]}', 2)
    with pytest.raises(ProviderError, match="not an embeddings answer"):
        parse_embeddings(b'{"data": [{"index": 0, "embedding": "no"}]}', 1)
    with pytest.raises(ProviderError, match="invalid JSON"):
        parse_embeddings(b'{"data": [', 1)


def test_a_text_asked_while_its_batch_is_out_waits_for_that_answer() -> None:
    async def scenario() -> tuple[list[list[str]], list[EmbeddedText]]:
        sent: list[list[str]] = []
        release = asyncio.Event()

        async def send(batch: Batch) -> list[EmbeddedText]:
            texts = batch.take()
            sent.append(list(texts))
            await release.wait()
            return [_part(len(t), None) for t in texts]

        batcher = EmbeddingBatcher(send)
        first = batcher.add(MODEL, "shared")
        await asyncio.sleep(0)  # its request goes out
        await asyncio.sleep(0)
        later = [batcher.add(MODEL, "shared"), batcher.add(MODEL, "new")]
        release.set()
        return sent, list(await asyncio.gather(first, *later))

    sent, results = asyncio.run(scenario())
    assert sent == [["shared"], ["new"]]  # "shared" went out once
    assert [r.prompt_tokens for r in results] == [6, 0, 3]  # and is billed once


def test_cosine_of_parallel_vectors_is_exactly_1() -> None:
    assert cosine([0.1, 0.2, 0.3], [0.2, 0.4, 0.6]) == 1.0
    assert cosine([3.0, 1.0, 7.0], [3.0, 1.0, 7.0]) == 1.0


def test_a_shared_text_is_billed_to_the_first_still_waiting() -> None:
    async def scenario() -> EmbeddedText:
        release = asyncio.Event()

        async def send(batch: Batch) -> list[EmbeddedText]:
            texts = batch.take()
            await release.wait()
            return [_part(5, 0.5) for _ in texts]

        batcher = EmbeddingBatcher(send)
        first, second = batcher.add(MODEL, "t"), batcher.add(MODEL, "t")
        await asyncio.sleep(0)
        first.cancel()  # its datapoint left
        release.set()
        return await second

    result = asyncio.run(scenario())
    assert (result.prompt_tokens, result.cost) == (5, 0.5)
