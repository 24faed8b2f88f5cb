"""Where an LSTM step's time goes beyond the bare recurrent product (a script).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tests/benchmarks/lstm_floor.py [--size 512]

Issue 2 asks for the H = 512 forward within 1.15x of a loop doing only ``h @ W_hh^T``.
This script measures, in one run and round-robin: the bare product, the engine's forward,
the input projection alone (one GEMM over all steps), and each of the other NumPy calls of
a step timed on its own, outside the loop, where its operands stay in L1 (the fastest it
can ever be). ``floor`` = product + projection + those calls: no NumPy loop that makes these
calls can beat it, whatever their order or layout.
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np
from bench_engine import bare_matvec, interleaved_medians

from rnnstudio import random_model


def isolated_calls(size: int) -> dict[str, float]:
    """Microseconds of each element-wise call of an LSTM step, timed alone."""
    row = np.zeros((1, 7 * size), np.float32)
    other = np.random.default_rng(0).random((1, 4 * size), dtype=np.float32)
    products = np.empty((1, 2 * size), np.float32)
    half = np.array(0.5, np.float32)
    pre, sigmoids, c = row[:, : 4 * size], row[:, : 3 * size], row[:, 4 * size : 5 * size]
    names = {"np": np, "row": row, "other": other, "products": products, "half": half,
             "pre": pre, "sigmoids": sigmoids, "c": c, "if_": row[:, : 2 * size],
             "gc": row[:, 3 * size : 5 * size], "o": row[:, 2 * size : 3 * size],
             "tc": row[:, 5 * size : 6 * size], "h": row[:, 6 * size :],
             "ig": products[:, :size], "fc": products[:, size:], "record": other}
    # Statements, not lambdas: timeit then runs each inline, with no extra Python call.
    calls = {
        "pre = a + W_hh h": "np.add(other, other, out=pre)",
        "tanh(pre)": "np.tanh(pre, out=pre)",
        "sigmoids *= 0.5": "np.multiply(sigmoids, half, out=sigmoids)",
        "sigmoids += 0.5": "np.add(sigmoids, half, out=sigmoids)",
        "[i, f] * [g, c]": "np.multiply(if_, gc, out=products)",
        "c = i*g + f*c": "np.add(ig, fc, out=c)",
        "tanh(c)": "np.tanh(c, out=tc)",
        "h = o * tanh(c)": "np.multiply(o, tc, out=h)",
        "record the step": "np.copyto(record, pre)",
    }
    number = 20_000
    return {name: min(timeit.repeat(call, number=number, repeat=5, globals=names)) / number
            * 1e6 for name, call in calls.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--input-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    model = random_model("lstm", args.size, input_size=args.input_size, seed=0)
    x = np.random.default_rng(0).standard_normal((args.steps, 1, args.input_size))
    x = x.astype(np.float32)
    layer = model.stack.layers(model.dtype)[0, "fwd"]
    work = {
        "bare matvec": bare_matvec(model.params["rnn.weight_hh_l0"], args.steps),
        "engine forward": lambda: model.stack.forward(x, model.dtype),
        "input projection": lambda: layer.rows.input_projection(x),
    }
    loops = {name: seconds * 1e6 / args.steps
             for name, seconds in interleaved_medians(work, args.repeats).items()}
    calls = isolated_calls(args.size)
    matvec = loops["bare matvec"]
    floor = matvec + loops["input projection"] + sum(calls.values())
    print(f"LSTM H = {args.size}, I = {args.input_size}, T = {args.steps}, batch 1, 1 thread;"
          f" us per step (median of {args.repeats})")
    for name, value in {**loops, **calls}.items():
        print(f"  {name:18s} {value:7.2f}")
    print(f"floor (matvec + projection + calls alone) {floor:6.2f} us = {floor / matvec:.3f}x"
          f" the bare matvec; engine forward {loops['engine forward'] / matvec:.3f}x")


if __name__ == "__main__":
    main()
