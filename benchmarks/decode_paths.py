"""Does a token's logits depend on what else is decoded with it? The measurement behind
`SMALL_DECODE` (react_agent/models/llama_batch.py).

    python -m benchmarks.decode_paths [--model PATH|NAME] [--most 8] [--longest 12]

On one llama.cpp context with a KV stream per sequence, as `LlamaCppModel` makes it, it prints the
largest difference in logits from the one-sequence answer:

- generation: k sequences holding the same prompt decode their next token in one decode (k = 1 to
  `--most`), against one sequence alone;
- prompt chunks: the prompt's last m tokens decoded as a chunk of their own (m = 1 to
  `--longest`), against the whole prompt in one chunk.

Where a difference is not 0, greedy output can change with the number of workers or with how a
prompt was split. The raw llama.cpp calls are on purpose: the decoder under test would apply its
own rules.
"""

from __future__ import annotations

import argparse

import llama_cpp as C
import numpy as np

from react_agent.models.llama_cpp import _quiet_llama_cpp, embedded_model_path, plain_weights
from react_agent.models.named import named_model_path

PROMPT = (
    "Question: Which magazine was started first, Arthur's Magazine or First for Women?\n"
    "Thought 1: Let me search Arthur's Magazine and First for Women, and find which was started first."
)


class Probe:
    def __init__(self, path: str, sequences: int):
        _quiet_llama_cpp()
        weights = plain_weights(C.llama_model_default_params())
        self.model = C.llama_model_load_from_file(str(path).encode(), weights)
        self.vocab = C.llama_model_get_vocab(self.model)
        self.n_vocab = C.llama_vocab_n_tokens(self.vocab)
        self.sequences = sequences
        self.batch = C.llama_batch_init(2048, 0, 1)

    def tokens(self, text: str) -> list[int]:
        data = text.encode()
        out = (C.llama_token * (len(data) + 8))()
        n = C.llama_tokenize(self.vocab, data, len(data), out, len(out), True, False)
        return list(out[:n])

    def context(self):
        params = C.llama_context_default_params()
        params.n_ctx, params.n_seq_max = 1024 * self.sequences, self.sequences
        params.flash_attn_type = C.LLAMA_FLASH_ATTN_TYPE_DISABLED  # as LlamaCppModel has them
        params.kv_unified = False
        params.n_batch, params.n_ubatch = 2048, 512
        return C.llama_init_from_model(self.model, params)

    def decode(self, ctx, parts: list[tuple[int, int, list[int]]]) -> list[np.ndarray]:
        """Decode each (sequence, first position, tokens) in one call; the logits of each part's last."""
        n, wanted = 0, []
        for seq, start, tokens in parts:
            for i, token in enumerate(tokens):
                self.batch.token[n], self.batch.pos[n], self.batch.n_seq_id[n] = token, start + i, 1
                self.batch.seq_id[n][0], self.batch.logits[n] = seq, i == len(tokens) - 1
                n += 1
            wanted.append(n - 1)
        self.batch.n_tokens = n
        if C.llama_decode(ctx, self.batch) != 0:
            raise RuntimeError("llama_decode failed")
        logits = (C.llama_get_logits_ith(ctx, i) for i in wanted)
        return [np.ctypeslib.as_array(row, shape=(self.n_vocab,)).copy() for row in logits]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a GGUF file or a known model's name (default: the embedded SmolLM2)")
    parser.add_argument("--most", type=int, default=8, help="sequences in one generation decode, at most")
    parser.add_argument("--longest", type=int, default=12, help="a last prompt chunk's tokens, at most")
    args = parser.parse_args()
    path = args.model and (args.model if args.model.endswith(".gguf") else named_model_path(args.model))
    probe = Probe(path or embedded_model_path(), args.most)
    prompt, nxt = probe.tokens(PROMPT), probe.tokens(" I")[-1]

    def fresh(run):
        ctx = probe.context()
        try:
            return run(ctx)
        finally:
            C.llama_free(ctx)

    def one(ctx):
        probe.decode(ctx, [(0, 0, prompt)])
        return probe.decode(ctx, [(0, len(prompt), [nxt])])[0]

    alone = fresh(one)
    print("| sequences in a generation decode | max abs logit difference from one alone |\n|---|---|")
    for k in range(1, args.most + 1):

        def together(ctx, k=k):
            for seq in range(k):
                probe.decode(ctx, [(seq, 0, prompt)])
            return probe.decode(ctx, [(seq, len(prompt), [nxt]) for seq in range(k)])[0]

        print(f"| {k} | {np.abs(fresh(together) - alone).max():.3g} |")
    whole = fresh(lambda ctx: probe.decode(ctx, [(0, 0, prompt)])[0])
    print("\n| last prompt chunk (tokens) | max abs logit difference from one chunk |\n|---|---|")
    for m in range(1, args.longest + 1):

        def split(ctx, m=m):
            probe.decode(ctx, [(0, 0, prompt[:-m])])
            return probe.decode(ctx, [(0, len(prompt) - m, prompt[-m:])])[0]

        print(f"| {m} | {np.abs(fresh(split) - whole).max():.3g} |")


if __name__ == "__main__":
    main()
