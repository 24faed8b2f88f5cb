"""Fixtures of the engine proofs (no Qt here)."""

from __future__ import annotations

import pytest

from .cases import VOCABULARY, make_config
from .engine_side import vocab_model as build_vocab_model
from .reference import random_params


@pytest.fixture
def vocab_model():
    """A one-layer LSTM word model over VOCABULARY with an embedding table and no head."""
    cfg = make_config("lstm")
    return build_vocab_model(cfg, random_params(cfg, 0, vocab_size=len(VOCABULARY)), None)
