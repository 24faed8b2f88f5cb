"""The rnnstudio command: results equal the Python API; bad input = one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

import rnnstudio
from rnnstudio.cli import main
from rnnstudio.engine.model import Model, ModelConfig, random_model
from rnnstudio.engine.tokenizers import Tokenizer
from rnnstudio.io.model_files import save_model
from rnnstudio.io.trace_read import load_trace, read_trace_arrays

ROOT = Path(__file__).resolve().parents[1]
VOCABULARY = ["<unk>", "the", "cat", "sat", "on", "mat"]


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m rnnstudio`` in a fresh interpreter, as a user would."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "rnnstudio", *args], capture_output=True,
                          text=True, env=env, input=stdin, timeout=120, check=False)


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2, exactly one stderr line starting ``rnnstudio: error:``, no traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rnnstudio: error: ")
    for word in words:
        assert word in lines[0], (word, lines[0])


def vocabulary_model(tmp_path: Path) -> Path:
    """A GRU with an embedding table and a next-token head, saved natively."""
    base = random_model("gru", hidden_size=4, input_size=3, seed=5)
    rng = np.random.default_rng(5)
    params = base.state_dict()
    params["embedding.weight"] = rng.standard_normal((len(VOCABULARY), 3)).astype("f4")
    params["head.weight"] = rng.standard_normal((len(VOCABULARY), 4)).astype("f4")
    params["head.bias"] = rng.standard_normal(len(VOCABULARY)).astype("f4")
    config = ModelConfig(base.config.recurrent, Tokenizer("word", tuple(VOCABULARY)), "table",
                         task="next-token")
    return save_model(Model(config, params), tmp_path / "vocab.safetensors")


@pytest.mark.parametrize("extension", [".npz", ".csv", ".json"])
def test_trace_random_model_matches_python_api(tmp_path: Path, extension: str, capsys) -> None:
    out = tmp_path / f"t{extension}"
    code = main(["trace", "--text", "The cat sat.", "--out", str(out), "--cell", "lstm",
                 "--hidden", "5", "--layers", "2", "--bidirectional", "--seed", "4",
                 "--gain", "1.5", "--input-size", "3", "--loss", "probe:1:2"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "tokens: 4" in printed and "loss: probe" in printed and f"wrote: {out}" in printed
    model = random_model("lstm", 5, num_layers=2, bidirectional=True, seed=4, gain=1.5,
                         input_size=3)
    expected = model.trace("The cat sat.", loss="probe:1:2").arrays()
    loaded = read_trace_arrays(out)
    assert loaded["tokens"].tolist() == ["the", "cat", "sat", "."]
    for key, value in expected.items():
        if key in ("meta", "tokens") or (extension == ".csv" and key == "token_ids"):
            continue
        np.testing.assert_array_equal(np.asarray(loaded[key], dtype=value.dtype), value,
                                      err_msg=key)
    if extension != ".csv":
        assert loaded["meta"]["cell"] == "lstm" and loaded["meta"]["loss"].startswith("probe:1:2")
        trace = load_trace(out)  # the engine's Trace, as the window opens it
        direct = model.trace("The cat sat.", loss="probe:1:2")
        assert trace.config == model.config and trace.tokens == direct.tokens
        np.testing.assert_array_equal(trace.layer(1, "bwd").gates["f"],
                                      direct.layer(1, "bwd").gates["f"])
        assert direct.grads is not None and trace.grads is not None
        assert trace.grads.loss_value == direct.grads.loss_value


def test_trace_model_file_reports_unknown_tokens(tmp_path: Path, capsys) -> None:
    path = vocabulary_model(tmp_path)
    code = main(["trace", str(path), "--text", "the dog sat on the sofa",
                 "--out", str(tmp_path / "t.npz")])
    assert code == 0
    printed = capsys.readouterr().out
    assert "unknown tokens (read as <unk>): 2 at 1 'dog', 5 'sofa'" in printed
    assert "loss: next-token = " in printed
    with np.load(tmp_path / "t.npz", allow_pickle=False) as archive:
        assert json.loads(str(archive["meta"]))["unknown"] == [1, 5]
        assert archive["logits"].shape == (6, len(VOCABULARY))


def test_overflow_is_reported_not_fatal(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    result = run_cli("trace", "--text", "word " * 300, "--cell", "rnn", "--nonlinearity", "relu",
                     "--gain", "200", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "loss: last-output-sum = nan" in result.stdout
    assert "warning: non-finite value: h of layer 0 (fwd) is inf at step" in result.stdout
    assert np.isinf(read_trace_arrays(out)["l0.fwd.h"]).any()


def test_trace_text_file_and_stdin(tmp_path: Path) -> None:
    text_file = tmp_path / "in.txt"
    text_file.write_text("héllo wörld", encoding="utf-8")
    result = run_cli("trace", "--text-file", str(text_file), "--out", str(tmp_path / "a.json"),
                     "--loss", "none")
    assert result.returncode == 0, result.stderr
    assert "loss: none" in result.stdout
    assert read_trace_arrays(tmp_path / "a.json")["tokens"].tolist() == ["héllo", "wörld"]
    result = run_cli("trace", "--text-file", "-", "--out", str(tmp_path / "b.npz"),
                     stdin="from stdin")
    assert result.returncode == 0, result.stderr
    assert read_trace_arrays(tmp_path / "b.npz")["tokens"].tolist() == ["from", "stdin"]


def test_info_and_convert(tmp_path: Path, capsys) -> None:
    path = vocabulary_model(tmp_path)
    assert main(["info", str(path)]) == 0
    printed = capsys.readouterr().out
    assert f"file: {path}" in printed and "format: safetensors (RNN Studio)" in printed
    assert "vocabulary of 6" in printed and "task: next-token" in printed
    count = sum(v.size for v in safetensors.numpy.load_file(str(path)).values())
    assert f"parameters: {count:,}" in printed
    assert main(["convert", str(path), str(tmp_path / "copy.npz")]) == 0
    assert main(["info", "--json", str(tmp_path / "copy.npz")]) == 0
    printed = capsys.readouterr().out
    config = json.loads(printed[printed.index("{"):])
    assert config["tokenizer"]["vocabulary"] == VOCABULARY


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"rnnstudio {rnnstudio.__version__}"


def _bad_model_files(tmp_path: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    model = random_model("lstm", 4, input_size=3, seed=1)
    good = save_model(model, tmp_path / "good.safetensors")
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[:-40])
    nan = model.state_dict()
    nan["rnn.bias_ih_l0"][2] = np.nan
    nan_path = tmp_path / "nan.npz"
    np.savez(nan_path, **nan)
    missing = {k: v for k, v in model.state_dict().items() if k != "rnn.weight_hh_l0"}
    missing_path = tmp_path / "missing.npz"
    np.savez(missing_path, config=np.array(json.dumps(model.config.to_dict())), **missing)
    shaped = model.state_dict()
    shaped["rnn.weight_hh_l0"] = shaped["rnn.weight_hh_l0"][:, :3]
    shaped_path = tmp_path / "shape.npz"
    np.savez(shaped_path, config=np.array(json.dumps(model.config.to_dict())), **shaped)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, weight_ih_l0=np.array([{"a": 1}], dtype=object))
    rnn = tmp_path / "rnn.npz"
    np.savez(rnn, **{k[4:]: v for k, v in random_model("rnn", 4).state_dict().items()})
    return {
        "truncated": (truncated, ("truncated",)),
        "nan": (nan_path, ("rnn.bias_ih_l0", "nan", "finite")),
        "missing-key": (missing_path, ("rnn.weight_hh_l0", "missing")),
        "wrong-shape": (shaped_path, ("rnn.weight_hh_l0", "(16, 3)", "(16, 4)")),
        "pickle-npz": (pickled, ("pickle", "'weight_ih_l0'")),
        "rnn-nonlinearity": (rnn, ("--nonlinearity tanh|relu",)),
        "missing-file": (tmp_path / "nope.safetensors", ("no such file",)),
        "unknown-extension": (good.with_suffix(".tflite"), ("unknown model file extension",)),
    }


@pytest.mark.parametrize("command", ["trace", "info", "convert"])
def test_bad_model_files_are_one_line_errors(tmp_path: Path, command: str) -> None:
    for name, (path, words) in _bad_model_files(tmp_path).items():
        if command == "trace":
            args = ["trace", str(path), "--text", "hi", "--out", str(tmp_path / "t.npz")]
        elif command == "info":
            args = ["info", str(path)]
        else:
            args = ["convert", str(path), str(tmp_path / "c.safetensors")]
        code, err = _in_process(args)
        assert code == 2, (name, err)
        assert err.count("\n") == 1 and err.startswith("rnnstudio: error: "), (name, err)
        assert str(path) in err, (name, err)
        for word in words:
            assert word in err, (name, word, err)


def _in_process(args: list[str]) -> tuple[int, str]:
    import contextlib
    import io

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    return code, stderr.getvalue()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--text", ""], ("empty",)),
        (["--text", "   \n "], ("empty",)),
        (["--text-file", "{long}"], ("50000 tokens", "at most")),
        (["--text-file", "{missing}"], ("cannot read text file",)),
        (["--text-file", "{latin1}"], ("not UTF-8",)),
        (["--text", "hi", "--out", "{nodir}"], ("does not exist",)),
        (["--text", "hi", "--out", "/proc/rnnstudio-out.npz"], ("/proc/rnnstudio-out.npz",)),
        (["--text", "hi", "--out", "{txt}"], ("unknown trace extension",)),
        (["--text", "hi", "--loss", "bogus"], ("bogus",)),
        (["--text", "hi", "--loss", "next-token"], ("next-token",)),
        (["--text", "hi", "--cell", "gru", "--proj-size", "2"], ("--proj-size 2", "LSTM only")),
        (["{model}", "--text", "hi", "--seed", "3"], ("--seed", "random models")),
        (["--text", "hi", "--seed", "-1"], ("--seed", "from 0 to 2,147,483,647", "got -1")),
        (["--text", "hi", "--hidden", "0"], ("--hidden", "from 1 to 4,096", "got 0")),
        (["--text", "hi", "--gain", "nan"], ("--gain", "finite", "got nan")),
        (["--text", "a b", "--loss", "probe:5:0"], ("probe step 5",)),
    ],
    ids=["empty", "blank", "100k-chars", "missing-text-file", "latin1", "no-folder", "proc",
         "bad-extension", "bad-loss", "loss-needs-head", "proj-on-gru", "seed-with-model",
         "negative-seed", "hidden-0", "gain-nan", "probe-out-of-range"],
)
def test_bad_trace_input_exits_2_without_traceback(tmp_path: Path, args, words) -> None:
    if sys.platform != "linux" and "/proc" in str(args):
        pytest.skip("needs /proc")
    (tmp_path / "long.txt").write_text("a " * 50_000)  # 100,000 characters
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    paths = {"long": tmp_path / "long.txt", "missing": tmp_path / "none.txt",
             "latin1": tmp_path / "latin1.txt", "nodir": tmp_path / "no" / "t.npz",
             "txt": tmp_path / "t.txt",
             "model": save_model(random_model("gru", 3), tmp_path / "m.safetensors")}
    args = [arg.format(**paths) for arg in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "t.npz")]
    positional = [args.pop(0)] if not args[0].startswith("-") else []
    assert_refused(run_cli("trace", *positional, *args), *words)
    assert not (tmp_path / "t.npz").exists()


def test_pickle_in_pt_refused_via_cli(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"

    class Bomb:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (open, (str(marker), "w"))

    torch.save({"weight_ih_l0": torch.zeros(4, 1), "x": Bomb()}, path)
    assert_refused(run_cli("info", str(path)), str(path), "refused")
    assert not marker.exists()


def test_gui_hand_off(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    calls: list[list[str]] = []
    fake = types.ModuleType("rnnstudio.gui.app")
    fake.run = lambda argv: calls.append(list(argv)) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rnnstudio.gui.app", fake)
    model = tmp_path / "model.safetensors"
    model.write_bytes(b"")  # the GUI opens (and judges) a file that exists
    assert main([]) == 0
    assert main([str(model)]) == 0
    assert calls == [[], [str(model)]]
    monkeypatch.setitem(sys.modules, "rnnstudio.gui.app", None)  # not importable
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnstudio: error: the GUI cannot start") and err.count("\n") == 1


def test_imports_load_no_qt() -> None:
    code = (
        "import sys, rnnstudio, rnnstudio.engine, rnnstudio.io, rnnstudio.cli\n"
        "import rnnstudio.io.model_files, rnnstudio.io.trace_export\n"
        "rnnstudio.load_model, rnnstudio.random_model, rnnstudio.save_trace, rnnstudio.Trace\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert result.stdout.strip() == ""


def test_public_api() -> None:
    assert rnnstudio.__version__ == rnnstudio._version.__version__
    assert rnnstudio.errors.ModelFileError.__mro__[1] is rnnstudio.errors.RnnStudioError
    for name in rnnstudio.__all__:
        assert getattr(rnnstudio, name) is not None
    assert rnnstudio.Model is Model and rnnstudio.random_model is random_model
    with pytest.raises(AttributeError):
        rnnstudio.nothing_here  # noqa: B018
    code = "import rnnstudio as rs; print(rs.io.read_model.__name__, rs.engine.MAX_TOKENS > 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert result.stdout.split() == ["read_model", "True"]


def test_summary_names_first_nonfinite_gradient() -> None:
    from types import SimpleNamespace

    from rnnstudio.cli import trace_summary
    from rnnstudio.engine.trace import NonFinite

    where = NonFinite(step=7, layer=1, direction="bwd", quantity="grad h", unit=3,
                      value=float("inf"), token="cat")
    grads = SimpleNamespace(loss_name="last-output-sum", loss_value=2.0, nonfinite=where)
    trace = SimpleNamespace(tokens=["a"] * 12, unknown=list(range(12)), grads=grads,
                            nonfinite=None)
    lines = trace_summary(trace, "m.pt")
    assert lines[:2] == ["model: m.pt", "tokens: 12"]
    assert lines[2].startswith("unknown tokens (read as <unk>): 12 at 0 'a', 1 'a'")
    assert lines[2].endswith("9 'a' and 2 more")
    assert lines[3] == "loss: last-output-sum = 2"
    assert lines[4] == ("warning: gradient non-finite value: grad h of layer 1 (bwd) is inf at "
                        "step 7 (token 'cat'), unit 3")


@pytest.mark.skipif(os.name != "posix", reason="POSIX argv carries raw bytes")
def test_undecodable_text_from_argv_and_stdin(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = str(tmp_path / "t.npz").encode()
    argv = [sys.executable.encode(), b"-m", b"rnnstudio", b"trace", b"--out", out]
    result = subprocess.run([*argv, b"--text", b"ab\xffcd"], capture_output=True, env=env,
                            check=False)
    assert_refused(_text(result), "--text", "not valid UTF-8")
    result = subprocess.run([*argv, b"--text-file", b"-"], input=b"\xff\xfe\x00",
                            capture_output=True, env=env, check=False)
    assert_refused(_text(result), "standard input", "not UTF-8")


def _text(result: subprocess.CompletedProcess[bytes]) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       result.stdout.decode(), result.stderr.decode())


def test_byte_order_mark_and_crlf_are_not_tokens(tmp_path: Path) -> None:
    text_file = tmp_path / "bom.txt"
    text_file.write_bytes(b"\xef\xbb\xbfhello\r\nworld\r\n")
    out = tmp_path / "t.npz"
    assert _in_process(["trace", "--text-file", str(text_file), "--out", str(out),
                        "--cell", "gru"])[0] == 0
    assert read_trace_arrays(out)["tokens"].tolist() == ["hello", "world"]


def test_a_bad_loss_is_refused_before_the_model_is_read(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """--loss is read once, first: a typo costs no model load and no trace."""
    code = main(["trace", str(tmp_path / "no-such-model.safetensors"), "--text", "a b",
                 "--loss", "probe:x", "--out", str(tmp_path / "t.npz")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("rnnstudio: error: --loss 'probe:x': unknown loss")
    assert not (tmp_path / "t.npz").exists()


@pytest.mark.parametrize(("argv", "words"), [
    (["trce"], "'trce' is not a command, a file or a shipped model; did you mean 'trace'?"),
    (["recall-gur"], "did you mean 'recall-gru'?"),
    (["missing.safetensors"], "missing.safetensors: no such file"),
    (["-V"], "unknown option '-V'"),
    (["--txt", "hello"], "unknown option '--txt'"),
    (["a.npz", "b.npz"], "unexpected"),
])
def test_a_typo_is_an_error_not_a_window(monkeypatch, capsys, argv, words) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: a typo'd sub-command or flag started the GUI (headless: Qt aborted, exit
    134) and a missing file opened the default model in silence."""
    monkeypatch.setitem(sys.modules, "rnnstudio.gui.app", None)  # the GUI must not start
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnstudio: error: ") and words in err and err.count("\n") == 1


def test_a_shipped_name_and_qt_options_start_the_app(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    started: list[list[str]] = []
    fake = types.ModuleType("rnnstudio.gui.app")
    fake.run = lambda argv: started.append(argv) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rnnstudio.gui.app", fake)
    model = tmp_path / "mine.safetensors"
    model.write_bytes(b"")
    for argv in (["recall-gru"], [str(model)], ["-platform", "offscreen", "--text", "a b"],
                 ["--smoke-test"]):
        assert main(argv) == 0
    assert started == [["recall-gru"], [str(model)], ["-platform", "offscreen", "--text", "a b"],
                       ["--smoke-test"]]
