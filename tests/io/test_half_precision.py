"""Half-precision weights: bfloat16 and float16 safetensors load as float32, exactly
as torch converts them, and the load says so (``LoadedModel.notes``, ``rnnstudio info``)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from hostile import MODEL, native, safetensors_bytes

from rnnstudio.cli import main
from rnnstudio.io.model_files import read_model
from rnnstudio.io.safetensors_file import bfloat16_to_float32

KEY = "rnn.weight_hh_l0"


#: bfloat16 bit patterns and the float32 values they are, computed by hand.
BFLOAT16 = {0x3F80: 1.0, 0xC000: -2.0, 0x3E20: 0.15625, 0x4049: 3.140625,
            0x0001: 2.0**-133, 0x7F7F: 3.3895313892515355e38, 0x8000: -0.0}


def test_bfloat16_bits_become_the_same_float32() -> None:
    bits = np.array(list(BFLOAT16), dtype="<u2")
    widened = bfloat16_to_float32(bits)
    assert widened.dtype == np.float32
    np.testing.assert_array_equal(widened, np.array(list(BFLOAT16.values()), np.float32))
    assert np.signbit(widened[-1])
    special = bfloat16_to_float32(np.array([0x7F80, 0xFF80, 0x7FC0], "<u2"))
    assert special[0] == np.inf and special[1] == -np.inf and np.isnan(special[2])


def test_bfloat16_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    values = torch.randn(1000, generator=torch.Generator().manual_seed(0)).to(torch.bfloat16)
    bits = values.view(torch.int16).numpy().view("<u2")
    np.testing.assert_array_equal(bfloat16_to_float32(bits), values.float().numpy())


@pytest.mark.parametrize(("dtype", "kind"), [("BF16", "bfloat16"), ("F16", "float16")])
def test_half_precision_safetensors_load_as_float32(tmp_path: Path, dtype: str,
                                                    kind: str) -> None:
    params = MODEL.state_dict()
    header, _ = native(tmp_path)
    blobs, position = [], 0
    for name in sorted(params):
        value = params[name].astype(np.float16) if dtype == "F16" else params[name]
        raw = (value.view("<u4") >> 16).astype("<u2") if dtype == "BF16" else value
        header[name] = {"dtype": dtype, "shape": list(value.shape),
                        "data_offsets": [position, position + raw.nbytes]}
        blobs.append(raw.tobytes())
        position += raw.nbytes
    path = tmp_path / "half.safetensors"
    path.write_bytes(safetensors_bytes(header, b"".join(blobs)))
    loaded = read_model(path)
    note = f"converted from {kind} to float32 ({len(params)} tensors)"
    assert loaded.notes == (note,) and loaded.format == f"safetensors (RNN Studio; {note})"
    for name, value in params.items():
        expected = (value.astype(np.float16).astype(np.float32) if dtype == "F16"
                    else bfloat16_to_float32((value.view("<u4") >> 16).astype("<u2")))
        np.testing.assert_array_equal(loaded.model.params[name], expected, err_msg=name)
    assert np.abs(loaded.model.params[KEY] - params[KEY]).max() < 0.01
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["info", str(path)]) == 0
    assert f"format: safetensors (RNN Studio; {note})" in stdout.getvalue().splitlines()
