"""Corpus indexing throughput and memory, against PyTorch's batched forward (a script).

    PYTHONPATH=. python tests/benchmarks/bench_corpus.py [--tokens 1000000] [--jobs N]
        [--skip-torch] [--only charlm|h256]

Generates a text of about ``--tokens`` tokens (seeded sentences of common words, in
paragraphs of 2 to 12 sentences, streamed to a temporary file) for each model: the
shipped ``charlm-lstm`` (characters, H = 48) and a random word-level LSTM with H = 256
(input 64). RNN Studio's figure is the whole ``index_corpus`` run storing h: reading and
cutting documents, tokenizing, embedding, the batched forward, float16 conversion,
saturation counts and writing the shards, packed (no padding is computed). PyTorch's
figure is ``nn.LSTM`` (same weights) over the same batches of the same input vectors
(``torch.no_grad``), which records nothing and writes nothing: right-padded, as its fast
path takes them (``pack_padded_sequence`` skips the padding but ran slower here, so it is
shown beside); the engine's batched forward alone over those batches is timed too, so the
rest of the index's time (reading, tokenizing, float16, files) shows. Both sides run
twice: on one thread (``torch.set_num_threads(1)``, the index with ``jobs=1``, NumPy's
BLAS held to one), then on every core (``--jobs``, default the cores: the index runs
that many shards at once, torch that many threads). RSS is the process's high-water mark
after indexing (before torch is imported), from ``resource.getrusage``; then the time to
read 2 units of h over the whole index (``CorpusIndex.values``, what a search reads; the
files are in the page cache).
Last, per model, the floor: microseconds a step at B = 64 of NumPy's recurrent GEMM alone
against the engine's whole forward-only step and torch's whole step.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from rnnstudio.engine.corpus_cells import forward_record  # noqa: E402
from rnnstudio.engine.corpus_forward import TokenTable, batch_forward  # noqa: E402
from rnnstudio.engine.model import Model, random_model  # noqa: E402
from rnnstudio.io.corpus_documents import documents, list_sources  # noqa: E402
from rnnstudio.io.corpus_index import (  # noqa: E402
    _batches,
    _encoded,
    _shards,
    default_jobs,
    index_corpus,
)
from rnnstudio.io.corpus_reader import open_corpus  # noqa: E402
from rnnstudio.io.corpus_settings import CorpusSettings  # noqa: E402
from rnnstudio.io.model_files import read_model  # noqa: E402

WORDS = ("the cat sat on mat a dog ran far away and then it was not good at all she "
         "cannot eat nuts so stayed home keys to cabinet are table movie feeling under "
         "weather i we you they saw big small old new red blue house tree river").split()


def write_text(path: Path, tokens: int, chars_per_token: float, seed: int = 0) -> None:
    """About ``tokens`` tokens of seeded sentences, written a paragraph at a time."""
    rng = np.random.default_rng(seed)
    written = 0.0
    with open(path, "w", encoding="utf-8") as stream:
        while written < tokens:
            sentences = [" ".join(rng.choice(WORDS, size=rng.integers(4, 16))).capitalize()
                         + "." for _ in range(rng.integers(2, 13))]
            paragraph = " ".join(sentences)
            stream.write(paragraph + "\n\n")
            written += len(paragraph) / chars_per_token


def index_batches(model: Model, text: Path, settings: CorpusSettings
                  ) -> list[tuple[list[np.ndarray], TokenTable]]:
    """The index's batches of ``text``: each its documents as rows of its shard's table
    of distinct tokens, and that table (as the index runs them)."""
    batches = []
    stream = documents(list_sources(text), model.tokenizer, settings.max_doc_tokens)
    for shard in _shards(stream, settings.shard_tokens, 0):
        _, vectors, rows = _encoded(model, shard)
        table = TokenTable(vectors.astype(model.dtype))
        lengths = np.array([len(r) for r in rows])
        for batch in _batches(lengths, settings.batch_size, model.config.values_per_token()):
            batches.append(([rows[doc] for doc in batch], table))
    return batches


def forward_seconds(model: Model, batches: list[tuple[list[np.ndarray], TokenTable]]
                    ) -> float:
    """The engine's batched forward alone (what the index adds to it is the rest)."""
    started = time.perf_counter()
    for rows, table in batches:
        batch_forward(model.stack, rows, model.dtype, names=("h",), table=table)
    return time.perf_counter() - started


def padded(vectors: list[np.ndarray]) -> np.ndarray:
    """Documents right-padded with zeros to (T, B, I), as ``nn.LSTM`` takes a batch."""
    batch = np.zeros((len(vectors[0]), len(vectors), vectors[0].shape[1]), vectors[0].dtype)
    for column, values in enumerate(vectors):
        batch[: len(values), column] = values
    return batch


def torch_seconds(model: Model, batches: list[tuple[list[np.ndarray], TokenTable]],
                  packed: bool = False, threads: int = 1) -> float:
    """nn.LSTM with the model's weights over the same batches (no recording): right-padded
    (what the padding costs, torch computes), or ``packed`` as PyTorch packs a batch of
    several lengths (``pack_padded_sequence``, which skips the padding), on ``threads``."""
    import torch

    torch.set_num_threads(threads)
    rec = model.config.recurrent
    lstm = torch.nn.LSTM(rec.input_size, rec.hidden_size, rec.num_layers)
    with torch.no_grad():
        for name, value in lstm.named_parameters():
            value.copy_(torch.from_numpy(np.array(model.params[f"rnn.{name}"])))
    tensors = [(torch.from_numpy(padded([table.vectors[r] for r in rows])),
                torch.tensor([len(r) for r in rows])) for rows, table in batches]
    pack = torch.nn.utils.rnn.pack_padded_sequence
    started = time.perf_counter()
    with torch.no_grad():
        for inputs, lengths in tensors:
            lstm(pack(inputs, lengths, enforce_sorted=True) if packed else inputs)
    return time.perf_counter() - started


def step_floor(model: Model, batch: int = 64, steps: int = 100) -> str:
    """Microseconds a step at ``batch`` documents of ``steps`` random input vectors (best
    of 5, one thread): the recurrent GEMM alone (h @ W_hh^T, what no NumPy step can skip), the
    engine's forward-only layer step (:func:`forward_record`) and torch's whole step."""
    import torch

    torch.set_num_threads(1)
    rec = model.config.recurrent
    layer = model.stack.layers(model.dtype)[0, "fwd"]
    x = np.random.default_rng(0).standard_normal((steps, batch, rec.input_size))
    x = x.astype(model.dtype)
    h = np.ones((batch, rec.hidden_size), dtype=model.dtype)
    product = np.empty((batch, 4 * rec.hidden_size), dtype=model.dtype)
    flat, starts = x.reshape(steps * batch, -1), np.arange(0, steps * batch + 1, batch)
    lstm = torch.nn.LSTM(rec.input_size, rec.hidden_size)
    inputs = torch.from_numpy(x)

    def gemms() -> None:
        for _ in range(steps):
            np.dot(h, layer.rows.weight_hh_t, out=product)

    def best(run: Callable[[], object]) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return min(times) / steps * 1e6

    with torch.no_grad():
        torch_step = best(lambda: lstm(inputs))
    ours = best(lambda: forward_record(layer, flat, starts))
    return (f"per step at B = {batch}: NumPy recurrent GEMM alone {best(gemms):.0f} us, "
            f"RNN Studio's forward step {ours:.0f} us, "
            f"torch nn.LSTM step {torch_step:.0f} us")


def index_run(name: str, model: Model, text: Path, folder: Path, jobs: int
              ) -> tuple[str, int, float]:
    """Index ``text`` with ``jobs``; the report line (rate, RSS high-water so far, a
    2-unit read), the tokens and the seconds."""
    out = folder / f"c{jobs}.rscorpus"
    started = time.perf_counter()
    report = index_corpus(model, text, out, CorpusSettings("h"), jobs=jobs)
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    corpus = open_corpus(out)
    started = time.perf_counter()
    two_units = corpus.values("h", 0, "fwd", [3, 17])
    read = time.perf_counter() - started
    line = (f"{name:<22} jobs {jobs}: {report.tokens:>11,} tokens {seconds:8.1f} s "
            f"{report.tokens / seconds:>10,.0f} tok/s  RSS high-water {rss_mb:,.0f} MB  "
            f"2 units x {two_units.shape[1]:,} tokens read in {read:.2f} s")
    return line, report.tokens, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--skip-torch", action="store_true")
    parser.add_argument("--only", choices=("charlm", "h256"))
    options = parser.parse_args()
    root = Path(__file__).resolve().parents[2]
    models = []
    if options.only != "h256":
        charlm = read_model(root / "resources" / "models" / "charlm-lstm.safetensors").model
        models.append(("charlm-lstm (H 48)", charlm, 1.0))
    if options.only != "charlm":
        models.append(("random LSTM (H 256)", random_model("lstm", hidden_size=256,
                                                           input_size=64, seed=0), 4.6))
    with tempfile.TemporaryDirectory() as temporary:
        runs = []
        for number, (name, model, chars_per_token) in enumerate(models):
            folder = Path(temporary) / str(number)
            folder.mkdir()
            write_text(folder / "corpus.txt", options.tokens, chars_per_token)
            seconds = {}
            for jobs in sorted({1, options.jobs}):
                line, tokens, seconds[jobs] = index_run(name, model, folder / "corpus.txt",
                                                        folder, jobs)
                print(line, flush=True)  # RSS before torch is imported
            runs.append((name, model, folder, tokens, seconds))
        for name, model, folder, tokens, seconds in [] if options.skip_torch else runs:
            batches = index_batches(model, folder / "corpus.txt", CorpusSettings("h"))
            forward_rate = tokens / forward_seconds(model, batches)
            packed_rate = tokens / torch_seconds(model, batches, packed=True)
            for jobs, spent in seconds.items():
                torch_rate = tokens / torch_seconds(model, batches, threads=jobs)
                alone = (f", its forward alone {forward_rate:,.0f} tok/s = "
                         f"{forward_rate / torch_rate:.2f}x; torch packed "
                         f"{packed_rate:,.0f} tok/s") if jobs == 1 else ""
                print(f"{name:<22} {jobs} thread(s) each: torch nn.LSTM {torch_rate:>10,.0f} "
                      f"tok/s; RNN Studio index {tokens / spent:,.0f} tok/s = "
                      f"{tokens / spent / torch_rate:.2f}x{alone}", flush=True)
            print(f"{name:<22} {step_floor(model)}", flush=True)


if __name__ == "__main__":
    main()
