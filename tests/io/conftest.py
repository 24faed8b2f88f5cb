"""Fixtures of the io tests."""

from __future__ import annotations

import pytest
from model_cases import CASES, make_model

from rnnstudio.engine.model import Model


@pytest.fixture(params=list(CASES), ids=list(CASES))
def model(request: pytest.FixtureRequest) -> Model:
    """One model per case in ``model_cases.CASES``."""
    return make_model(**CASES[request.param])
