"""The recurrent configurations every engine proof runs over, with readable pytest ids."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import strategies as st

from rnnstudio.engine.config import RecurrentConfig

from .reference import LossSpec

INPUT_SIZE = 3
HIDDEN_SIZE = 5
PROJ_SIZE = 3

#: Six words with a repeat ("the"), so an embedding row collects two steps' gradients.
TEXT = "the cat sat on the mat"
#: A closed vocabulary for models with an embedding table; "rug" is not in it.
VOCABULARY = ("<unk>", "the", "cat", "sat", "on", "mat", "dog")
TEXT_WITH_UNKNOWN = "the cat sat on the rug"
LABELS = ("negative", "neutral", "positive")

CELL_KINDS: dict[str, dict] = {
    "rnn-tanh": {"cell": "rnn", "nonlinearity": "tanh"},
    "rnn-relu": {"cell": "rnn", "nonlinearity": "relu"},
    "lstm": {"cell": "lstm"},
    "lstm-proj": {"cell": "lstm", "proj_size": PROJ_SIZE},
    "gru": {"cell": "gru"},
    "gru-before": {"cell": "gru", "reset_after": False},  # not expressible in PyTorch
}
#: The kinds ``torch.nn`` can build (the parity tests' gold needs one).
TORCH_KINDS = tuple(kind for kind, options in CELL_KINDS.items()
                    if options.get("reset_after", True))


def make_config(kind: str, layers: int = 1, bidirectional: bool = False, bias: bool = True):
    return RecurrentConfig(
        input_size=INPUT_SIZE,
        hidden_size=HIDDEN_SIZE,
        num_layers=layers,
        bidirectional=bidirectional,
        bias=bias,
        **CELL_KINDS[kind],
    )


def config_id(kind: str, layers: int, bidirectional: bool, bias: bool) -> str:
    return f"{kind}-L{layers}-{'bi' if bidirectional else 'uni'}{'' if bias else '-nobias'}"


def all_configs(biases: tuple[bool, ...] = (True, False), kinds=tuple(CELL_KINDS)) -> list:
    """Every cell of ``kinds`` x layers {1, 2} x {uni, bi} x the given bias settings, as
    pytest params."""
    return [
        pytest.param(make_config(*combo), id=config_id(*combo))
        for combo in itertools.product(kinds, (1, 2), (False, True), biases)
    ]


def cell_configs(layers: int = 2, bidirectional: bool = True, kinds=tuple(CELL_KINDS)) -> list:
    """One config per cell kind of ``kinds``."""
    return [
        pytest.param(
            make_config(kind, layers, bidirectional),
            id=config_id(kind, layers, bidirectional, True),
        )
        for kind in kinds
    ]


def initial_states(cfg: RecurrentConfig, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Random non-zero (h0, c0) in PyTorch's layout (L*D, H_out) and (L*D, H)."""
    rng = np.random.default_rng(seed)
    rows = cfg.num_layers * cfg.num_directions
    h0 = rng.uniform(-0.8, 0.8, (rows, cfg.output_size))
    c0 = rng.uniform(-0.8, 0.8, (rows, cfg.hidden_size)) if cfg.cell == "lstm" else None
    return h0, c0


@st.composite
def drawn_cases(draw, top_layer_probes: bool = False, kinds=tuple(CELL_KINDS)):
    """(config, loss, text, seed): any cell of ``kinds``, sizes down to 1, up to 3 layers,
    1 to 6 steps, last-output-sum or a probe of h (of the top layer only, with
    ``top_layer_probes``)."""
    kind = draw(st.sampled_from(sorted(kinds)))
    hidden = draw(st.integers(2 if kind == "lstm-proj" else 1, 6))
    options = dict(CELL_KINDS[kind])
    if kind == "lstm-proj":
        options["proj_size"] = draw(st.integers(1, hidden - 1))
    cfg = RecurrentConfig(
        input_size=draw(st.integers(1, 5)),
        hidden_size=hidden,
        num_layers=draw(st.integers(1, 3)),
        bidirectional=draw(st.booleans()),
        bias=draw(st.booleans()),
        **options,
    )
    steps = draw(st.integers(1, 6))
    if draw(st.booleans()):
        spec = LossSpec("last-output-sum")
    else:
        spec = LossSpec(
            "probe",
            step=draw(st.integers(-steps, steps - 1)),
            unit=draw(st.integers(0, cfg.output_size - 1)),
            layer=-1 if top_layer_probes else draw(st.integers(0, cfg.num_layers - 1)),
            direction=draw(st.sampled_from(cfg.directions)),
        )
    text = " ".join(f"w{draw(st.integers(0, 3))}" for _ in range(steps))
    return cfg, spec, text, draw(st.integers(0, 2**16))
