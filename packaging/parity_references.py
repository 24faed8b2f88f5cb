"""Compute every shipped model's PyTorch reference values once (a script; needs torch).

    PYTHONPATH=. python packaging/parity_references.py [--out resources/models] [--only KEY ...]

For each model of ``resources/models/index.json`` this reads the first
:data:`REFERENCE_STEPS` tokens of its task's sample text (the text the app opens it with)
and has PyTorch compute, in float64 from the weights as stored, every layer's h (and c),
every gate, the head's logits and the gradients of the model's default loss (dL/dx_t,
dL/dh_t, dL/dc_t): :func:`rnnstudio.io.torch_parity.torch_values`, which first asserts
that its step loop gives ``nn.RNN/LSTM/GRU``'s own outputs. The values go to
``parity/<key>.json`` beside the models (:mod:`rnnstudio.io.parity_file`); the weights
files are not touched. Help › Check against PyTorch and tests/view/test_parity.py compare
the engine with them.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from rnnstudio.engine.tokenizers import Tokens  # noqa: E402
from rnnstudio.io.model_files import load_model  # noqa: E402
from rnnstudio.io.parity_file import ParityReferences, file_sha256, write_references  # noqa: E402
from rnnstudio.io.torch_parity import torch_values, torch_version  # noqa: E402
from rnnstudio.models_index import PARITY_FOLDER, ShippedModel, shipped_models  # noqa: E402

#: Tokens of each reference text: enough for the recurrence to matter (three steps carry
#: state), few enough that 27 models' references stay near 250 KB.
REFERENCE_STEPS = 4


def references_for(entry: ShippedModel, model_path: Path) -> ParityReferences:
    """torch's values for the first tokens of ``entry``'s sample, read by its model."""
    model = load_model(model_path)
    whole = model.tokenize(entry.sample)
    tokens = Tokens(whole.tokens[:REFERENCE_STEPS], whole.ids[:REFERENCE_STEPS], [])
    if any(position < REFERENCE_STEPS for position in whole.unknown):
        raise SystemExit(f"{entry.key}: the sample's first tokens include <unk>; "
                         "choose a sample the vocabulary covers")
    loss = model.default_loss()
    values = torch_values(model, tokens, loss)
    joiner = "" if model.config.tokenizer.kind == "char" else " "
    return ParityReferences(
        model=entry.key, model_sha256=file_sha256(model_path), text=joiner.join(tokens.tokens),
        tokens=tuple(tokens.tokens), token_ids=tuple(int(i) for i in tokens.ids),
        loss=loss.name, torch_version=torch_version(),
        created=datetime.date.today().isoformat(), values=values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("resources/models"),
                        help="the models folder (index.json and the .safetensors files)")
    parser.add_argument("--only", nargs="*", default=None, metavar="KEY",
                        help="only these models (task-cell), e.g. recall-gru")
    args = parser.parse_args(argv)
    entries = [entry for entry in shipped_models(args.out)
               if args.only is None or entry.key in args.only]
    total = 0
    for entry in entries:
        target = args.out / PARITY_FOLDER / f"{entry.key}.json"
        target.parent.mkdir(exist_ok=True)
        write_references(references_for(entry, args.out / entry.file), target)
        size = target.stat().st_size
        total += size
        print(f"{entry.key}: {size:,} bytes -> {target}")
    print(f"{len(entries)} reference files, {total:,} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
