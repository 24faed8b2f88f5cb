"""Training in float32 equals PyTorch's float32 training: the same weights, batches,
clipping and Adam give the same losses and the same weights after several steps, for
every cell, each way of scoring (a class, a tag per step, the next token) and a
two-layer bidirectional stack (the trainer's LSTM layer is its own code path)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.optimizers import Adam, clip_by_norm
from rnnstudio.engine.tasks import make_task
from rnnstudio.engine.training import (
    TrainConfig,
    batch_loss,
    initial_params,
    model_config_for,
)
from rnnstudio.engine.workspace import Workspace

torch = pytest.importorskip("torch")

STEPS = 4
#: float32 against float32 with different summation orders, after STEPS updates.
TOLERANCE = 2e-5


def _torch_modules(cell: str, config: TrainConfig, params: dict[str, np.ndarray],
                   classes: int) -> object:
    layer = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    vocabulary = params["embedding.weight"].shape[0]
    modules = torch.nn.ModuleDict({
        "embedding": torch.nn.Embedding(vocabulary, config.input_size),
        "rnn": layer(config.input_size, config.hidden_size, config.num_layers,
                     bidirectional=config.bidirectional),
        "head": torch.nn.Linear(params["head.weight"].shape[1], classes)})
    modules.load_state_dict({name: torch.from_numpy(value.copy())
                             for name, value in params.items()})
    return modules


def _torch_loss(modules: object, task_kind: str, ids: np.ndarray, targets: object) -> object:
    output, _ = modules["rnn"](modules["embedding"](torch.from_numpy(ids)))  # type: ignore[index]
    logits = modules["head"](output)  # type: ignore[index]
    if task_kind == "classify":
        scored, wanted = logits[-1], torch.as_tensor(np.asarray(targets))
    elif task_kind == "tag":
        scored, wanted = logits, torch.as_tensor(np.asarray(targets))
    else:
        scored, wanted = logits[:-1], torch.from_numpy(ids[1:])
    return torch.nn.functional.cross_entropy(scored.reshape(-1, scored.shape[-1]),
                                             wanted.reshape(-1))


@pytest.mark.parametrize(
    ("cell", "task_name", "layers", "bidirectional"),
    [("lstm", "recall", 1, False), ("gru", "recall", 1, False), ("rnn", "recall", 1, False),
     ("lstm", "charlm", 1, False), ("lstm", "idioms", 2, True), ("gru", "idioms", 2, True)],
)
def test_float32_training_steps_equal_pytorch(cell: str, task_name: str, layers: int,
                                              bidirectional: bool) -> None:
    config = TrainConfig(task=task_name, cell=cell, hidden_size=12, input_size=6,
                         num_layers=layers, bidirectional=bidirectional, learning_rate=0.01)
    task = make_task(task_name)
    model_config = model_config_for(config, task)
    params = initial_params(model_config, np.random.default_rng(0), config.forget_bias)
    assert all(value.dtype == np.float32 for value in params.values())
    modules = _torch_modules(cell, config, params, model_config.head_size)
    optimizer = torch.optim.Adam(modules.parameters(), lr=config.learning_rate)  # type: ignore[attr-defined]
    ours, workspace = Adam(config.learning_rate), Workspace()
    rng = np.random.default_rng(1)
    for _ in range(STEPS):
        batch = task.sample(rng, 8)
        loss, _, grads, _ = batch_loss(model_config, params, batch, True, workspace=workspace)
        norm = clip_by_norm(grads, 1.0)
        ours.update(params, grads)
        ids = np.stack([model_config.tokenizer.encode(s).ids for s in batch.tokens], axis=1)
        expected = _torch_loss(modules, str(model_config.task), ids, batch.targets)
        optimizer.zero_grad()
        expected.backward()
        expected_norm = torch.nn.utils.clip_grad_norm_(modules.parameters(), 1.0)  # type: ignore[attr-defined]
        optimizer.step()
        assert loss == pytest.approx(float(expected.detach()), rel=TOLERANCE)
        assert norm == pytest.approx(float(expected_norm), rel=1e-4)
    state = modules.state_dict()  # type: ignore[attr-defined]
    for name, value in params.items():
        assert value.dtype == np.float32, name
        reference = state[name].numpy()
        scale = np.abs(reference).max()
        assert np.abs(value - reference).max() <= TOLERANCE * scale, name
