"""The pure-NumPy engine: PyTorch-exact RNN/LSTM/GRU cells, traces and BPTT.

Knows nothing of files or Qt. See ``docs/api.md``.
"""

from __future__ import annotations

from .config import GATE_DESCRIPTIONS, GATES, RecurrentConfig
from .interventions import Intervention, parse_intervention
from .losses import ClassCrossEntropy, LastOutputSum, NextTokenCrossEntropy, Probe, parse_loss
from .model import MAX_TOKENS, Model, ModelConfig, random_model
from .stepper import Stepper, StepRecord
from .tokenizers import UNK, Tokenizer, Tokens
from .trace import Gradients, LayerTrace, NonFinite, Trace

__all__ = [
    "GATES", "GATE_DESCRIPTIONS", "MAX_TOKENS", "UNK", "ClassCrossEntropy", "Gradients",
    "Intervention", "LastOutputSum", "LayerTrace", "Model", "ModelConfig",
    "NextTokenCrossEntropy", "NonFinite", "Probe", "RecurrentConfig", "StepRecord",
    "Stepper", "Tokenizer", "Tokens", "Trace", "parse_intervention", "parse_loss",
    "random_model",
]
