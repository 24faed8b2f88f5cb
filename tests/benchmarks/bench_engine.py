"""Engine speed, measured against references timed in the same run (a script, not a test).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
        python tests/benchmarks/bench_engine.py [--steps 1000] [--repeats 5] [--markdown]

Every figure is microseconds per time step (batch 1, float32 forward, float64 gradients
for RNN Studio as in the app; torch's autograd reference runs in float32, its own best),
the median over ``--repeats`` runs, all workloads of one row timed round-robin.
References:

* ``bare matvec``: a NumPy loop doing only the recurrent product ``h @ W_hh^T`` per step,
  the floor for any step-by-step recurrence (on a 64-byte aligned copy, as the engine
  uses, its fastest).
* ``tutorial``: the textbook NumPy LSTM step (concatenate [h, x], one matmul per gate,
  sigmoid as 1 / (1 + exp(-a)), gates recorded into lists).
* ``torch tracer``: the fastest recording forward written with torch ops we found:
  input projection for all steps in one ``addmm``, preallocated outputs, in-place
  ``addmm``/``sigmoid_``/``tanh_`` and ``out=`` products per step, under inference_mode.
* ``torch autograd``: an ``nn.LSTMCell`` loop with ``retain_grad()`` on every h_t and one
  ``backward()``, which is how per-step dL/dh_t is usually obtained in PyTorch.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from rnnstudio.engine import random_model  # noqa: E402
from rnnstudio.engine.layer import aligned  # noqa: E402

try:
    import torch
except ImportError:  # the references that need torch are reported as "n/a"
    torch = None


def interleaved_medians(work: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each workload, timed round-robin (one run of each, ``repeats``
    times), so that a slow spell on this shared machine (its L3 cache and memory bandwidth
    are shared with other tenants) lands on every workload alike rather than on one.

    Every timed run follows an untimed run of the same workload: right after another
    workload has freed a lot of memory (torch's autograd graph), the next one's first
    allocations page-fault, which cost the LSTM forward 1.4 us a step at H = 32 here.
    Garbage collection is off while timing, as in timeit.
    """
    times: dict[str, list[float]] = {name: [] for name in work}
    for _ in range(repeats):
        for name, run in work.items():
            run()
            gc.disable()
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
            gc.enable()
    return {name: statistics.median(values) for name, values in times.items()}


def bare_matvec(weight_hh: np.ndarray, steps: int) -> Callable[[], object]:
    w_t = aligned(np.ascontiguousarray(weight_hh.T))
    h = np.zeros((1, weight_hh.shape[1]), dtype=weight_hh.dtype)
    out = np.empty((1, weight_hh.shape[0]), dtype=weight_hh.dtype)

    def run() -> object:
        for _ in range(steps):
            np.dot(h, w_t, out=out)
        return out

    return run


def tutorial_lstm(params: dict[str, np.ndarray], x: np.ndarray) -> Callable[[], object]:
    """min-char-rnn style: one weight matrix over [h, x] per gate."""
    size = params["rnn.weight_hh_l0"].shape[1]
    w_all = np.concatenate([params["rnn.weight_hh_l0"], params["rnn.weight_ih_l0"]], axis=1)
    bias = params["rnn.bias_ih_l0"] + params["rnn.bias_hh_l0"]
    w_i, w_f, w_g, w_o = (w_all[k * size : (k + 1) * size] for k in range(4))
    b_i, b_f, b_g, b_o = (bias[k * size : (k + 1) * size] for k in range(4))

    def sigmoid(a: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-a))

    def run() -> object:
        h, c = np.zeros(size, x.dtype), np.zeros(size, x.dtype)
        record: dict[str, list[np.ndarray]] = {k: [] for k in "ifgohc"}
        for x_t in x:
            z = np.concatenate([h, x_t])
            i = sigmoid(w_i @ z + b_i)
            f = sigmoid(w_f @ z + b_f)
            g = np.tanh(w_g @ z + b_g)
            o = sigmoid(w_o @ z + b_o)
            c = f * c + i * g
            h = o * np.tanh(c)
            for key, value in zip("ifgohc", (i, f, g, o, h, c), strict=True):
                record[key].append(value)
        return record

    return run


def torch_tracer(params: dict[str, np.ndarray], x: np.ndarray) -> Callable[[], object]:
    assert torch is not None
    size = params["rnn.weight_hh_l0"].shape[1]
    w_ih_t = torch.tensor(params["rnn.weight_ih_l0"]).T.contiguous()
    w_hh_t = torch.tensor(params["rnn.weight_hh_l0"]).T.contiguous()
    bias = torch.tensor(params["rnn.bias_ih_l0"] + params["rnn.bias_hh_l0"])
    inputs = torch.tensor(x)
    steps = inputs.shape[0]

    def run() -> object:
        with torch.inference_mode():
            gates = torch.addmm(bias, inputs, w_ih_t).view(steps, 1, 4 * size)
            cell = torch.empty(steps, 1, size)
            hidden = torch.empty(steps, 1, size)
            tanh_cell = torch.empty(steps, 1, size)
            product = torch.empty(1, size)
            h, c = torch.zeros(1, size), torch.zeros(1, size)
            for t in range(steps):
                a = gates[t]
                a.addmm_(h, w_hh_t)
                a[:, : 2 * size].sigmoid_()
                a[:, 3 * size :].sigmoid_()
                a[:, 2 * size : 3 * size].tanh_()
                torch.mul(a[:, size : 2 * size], c, out=cell[t])
                torch.mul(a[:, :size], a[:, 2 * size : 3 * size], out=product)
                cell[t].add_(product)
                torch.tanh(cell[t], out=tanh_cell[t])
                torch.mul(a[:, 3 * size :], tanh_cell[t], out=hidden[t])
                h, c = hidden[t], cell[t]
        return hidden

    return run


def torch_autograd(params: dict[str, np.ndarray], x: np.ndarray) -> Callable[[], object]:
    assert torch is not None
    size = params["rnn.weight_hh_l0"].shape[1]
    cell = torch.nn.LSTMCell(x.shape[1], size)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(torch.tensor(params[f"rnn.{name}_l0"]))
    inputs = torch.tensor(x)

    def run() -> object:
        h, c = torch.zeros(1, size), torch.zeros(1, size)
        states = []
        for x_t in inputs:
            h, c = cell(x_t[None], (h, c))
            h.retain_grad()
            states.append(h)
        h.sum().backward()
        return [s.grad for s in states]

    return run


def measure(
    cell: str, size: int, inputs: int, steps: int, repeats: int
) -> dict[str, float]:
    model = random_model(cell, size, input_size=inputs, seed=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps, inputs)).astype(np.float32)
    stack = model.stack

    def forward() -> object:
        return stack.forward(x[:, None, :], model.dtype)

    cache = stack.forward(x[:, None, :], model.dtype)
    top = cache.outputs[-1]
    seed = {(0, "fwd", "h"): np.zeros(top.shape)}
    seed[0, "fwd", "h"][-1] = 1.0

    def forward_backward() -> object:
        return stack.backward(stack.forward(x[:, None, :], model.dtype), seed)

    work: dict[str, Callable[[], object]] = {
        "forward": forward,
        "forward+bptt": forward_backward,
        "matvec": bare_matvec(model.params["rnn.weight_hh_l0"], steps),
    }
    if cell == "lstm":
        params = dict(model.params)
        work["tutorial"] = tutorial_lstm(params, x)
        if torch is not None:
            work["torch tracer"] = torch_tracer(params, x)
            work["torch autograd"] = torch_autograd(params, x)
    row = interleaved_medians(work, repeats)
    row.update(interleaved_medians(
        {"jacobian": lambda: stack.jacobian_norms(cache)}, max(1, repeats // 2)))
    return {name: seconds * 1e6 / steps for name, seconds in row.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--cells", nargs="+", default=["lstm", "gru", "rnn"])
    parser.add_argument("--input-size", type=int, default=64,
                        help="input (embedding) size I; 0 means I = H")
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(1)
    print(f"# {platform.processor() or platform.machine()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'not installed'}, T = {args.steps}, "
          f"I = {args.input_size or 'H'}, "
          f"batch 1, 1 thread; us per step (median of {args.repeats})")
    print("| cell | H | forward+trace | fwd+BPTT | ‖dh_T/dh_t‖ | bare matvec | tutorial | "
          "torch tracer | torch autograd | fwd / torch tracer | BPTT / torch autograd | "
          "fwd / matvec |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for cell in args.cells:
        for size in args.sizes:
            r = measure(cell, size, args.input_size or size, args.steps, args.repeats)

            def cell_text(key: str, row: dict[str, float] = r) -> str:
                return f"{row[key]:.1f}" if key in row else "n/a"

            def ratio(a: str, b: str, row: dict[str, float] = r) -> str:
                return f"{row[a] / row[b]:.2f}x" if a in row and b in row else "n/a"

            print(f"| {cell} | {size} | {cell_text('forward')} | {cell_text('forward+bptt')} | "
                  f"{cell_text('jacobian')} | {cell_text('matvec')} | {cell_text('tutorial')} | "
                  f"{cell_text('torch tracer')} | {cell_text('torch autograd')} | "
                  f"{ratio('forward', 'torch tracer')} | "
                  f"{ratio('forward+bptt', 'torch autograd')} | {ratio('forward', 'matvec')} |",
                  flush=True)


if __name__ == "__main__":
    main()
