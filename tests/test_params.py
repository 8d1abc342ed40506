"""Each user-facing parameter is declared once (:class:`mlbasics.core.limits.Param`): its default, interval
and help reach the library's signatures, its checks and the command line's option from one object."""

from __future__ import annotations

import argparse
import ast
import dataclasses
from pathlib import Path

import pytest

from mlbasics.cli import build_parser, main
from mlbasics.core import limits
from mlbasics.core.errors import InputError
from mlbasics.core.seed import SEED
from mlbasics.data.voc_folder import VAL_FRACTION, seeded_split
from mlbasics.vision.yolo.decode import NMS_IOU, SCORE_THRESHOLD
from mlbasics.vision.yolo.train import TRAIN_PARAMS, TrainConfig, TrainSettings

LIBRARY = Path(__file__).resolve().parents[1] / "mlbasics"
DECLARED = (SCORE_THRESHOLD, NMS_IOU, VAL_FRACTION, SEED)
#: Functions whose default differs from the declaration, each with its reason (a name or a literal).
DIFFERENT_ON_PURPOSE = {
    # the lessons seed every source with 42; library functions and commands default to SEED (0)
    ("seed.py", "seed"): "DEFAULT_SEED",
    # mAP integrates over every score, so evaluation keeps boxes far below detection's threshold
    ("evaluate.py", "score_threshold"): "EVAL_SCORE_THRESHOLD",
    # COCO's detector is unsure of a reader's objects: proposals to accept or correct, not detections
    ("labelling.py", "score_threshold"): "0.2",
}


def _defaults(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args.args + node.args.kwonlyargs
            defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + node.args.defaults \
                + node.args.kw_defaults
            for arg, default in zip(args, defaults):
                if default is not None:
                    yield node.name, arg.arg, default


def test_no_signature_repeats_a_declared_default():
    """Every ``score_threshold=``, ``nms_iou=`` and ``val_fraction=`` default in the library is the
    declaration's ``.default``; the few that differ say why in :data:`DIFFERENT_ON_PURPOSE`."""
    names = {param.name: param for param in DECLARED}
    wrong = []
    for path in LIBRARY.rglob("*.py"):
        for function, arg, default in _defaults(ast.parse(path.read_text(), str(path))):
            if arg not in names:
                continue
            text = ast.unparse(default)
            expected = DIFFERENT_ON_PURPOSE.get((path.name, arg), f"{arg.upper()}.default")
            if text not in (expected, f"{arg.upper()}.default"):
                wrong.append(f"{path.relative_to(LIBRARY)}:{function}({arg}={text})")
    assert not wrong, wrong


def _options(parser: argparse.ArgumentParser, prog: str = "mlbasics"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _options(child, f"{prog} {name}")
        elif action.option_strings:
            yield prog, action


#: Options with a number or named choices that are not a declared parameter, each with its reason.
UNDECLARED = {
    "--verbose",  # Keras's verbosity, passed through to Keras as it is
    "--formats",  # a list: the command's three everyday formats, of the export's FORMATS
}
#: Options whose default is not their declaration's, each with its reason.
OTHER_DEFAULT = {
    # fit chooses these from the number of photos and the start (COCO or scratch) unless told
    ("mlbasics yolo fit", "--epochs"), ("mlbasics yolo fit", "--input-size"), ("mlbasics yolo fit", "--width"),
    # not given: boxes stay in image pixels / are not compared with the strides
    ("mlbasics yolo anchors", "--input-size"), ("mlbasics yolo report", "--input-size"),
    # a frozen stage needs --backbone or --pretrained, which are optional in yolo train
    ("mlbasics yolo train", "--epochs-frozen"),
    # the lessons' backbone (lesson 05), which lesson 07 builds on
    ("mlbasics yolo backbone", "--width"), ("mlbasics yolo backbone", "--input-size"),
}


def test_every_numeric_or_named_option_is_made_from_a_declaration():
    """Every option that takes a number or one of several names is made by ``add_param`` from a declared
    :class:`~mlbasics.core.limits.Param`: its flag, ``dest``, type and default are the declaration's (the
    defaults in :data:`OTHER_DEFAULT` differ on purpose), and a value outside the interval is refused."""
    made, numeric = [], []
    for prog, action in _options(build_parser()):
        param = getattr(action, "param", None)
        if param is None:
            number = action.type in (int, float) or getattr(action.type, "__name__", "") == "in_range"
            named_with_default = action.choices is not None and action.default is not None
            if (number or named_with_default) and action.option_strings[0] not in UNDECLARED:
                numeric.append((prog, action.option_strings))
            continue
        made.append((prog, param.flag))
        assert param.flag in action.option_strings and action.dest == param.name, (prog, param.flag)
        if (prog, param.flag) not in OTHER_DEFAULT:
            assert action.default == param.default, (prog, param.flag, action.default, param.default)
        if isinstance(param.allowed, limits.Range):
            too_high = param.allowed.high + (1 if param.allowed.integer else 0.5)
            with pytest.raises(argparse.ArgumentTypeError):
                action.type(str(too_high))
        else:
            assert tuple(action.choices) == param.allowed.values
    assert not numeric, f"numeric options not made from a declaration: {numeric}"
    assert set(OTHER_DEFAULT) <= set(made), set(OTHER_DEFAULT) - set(made)
    assert len(made) >= 40, len(made)


def test_the_training_settings_are_one_schema():
    """``TrainSettings`` (what ``fit`` picks) and ``TrainConfig`` share their declarations: every number or
    name among their fields is a declared setting, checked on construction and offered by ``yolo train``
    with the same default."""
    for cls in (TrainSettings, TrainConfig):
        undeclared = [f.name for f in dataclasses.fields(cls)
                      if f.type in ("int", "float") or f.name in ("model", "augment", "box_loss")
                      if f.name not in limits.params_of(cls)]
        assert not undeclared, (cls.__name__, undeclared)
    assert set(limits.params_of(TrainSettings)) <= set(TRAIN_PARAMS)
    base = {"annotations": "a.txt", "classes": "c.txt", "anchors": "x.txt", "job_dir": "job", "epochs_frozen": 0}
    for name, param in TRAIN_PARAMS.items():
        bad = "other" if isinstance(param.allowed, limits.Choices) else param.allowed.high * 2 + 1
        with pytest.raises(InputError, match=f"^{name} must be"):
            TrainConfig(**{**base, name: bad})
    train = build_parser().parse_args(["yolo", "train", "--annotations", __file__, "--classes", __file__,
                                       "--anchors", __file__])
    for name in ("model", "input_size", "width", "batch_size", "epochs", "learning_rate", "seed"):
        assert getattr(train, name) == TRAIN_PARAMS[name].default == getattr(TrainConfig(**base), name)


def test_seeding_changes_no_environment_variable():
    import os

    from mlbasics.core.seed import seed_everything

    before = dict(os.environ)
    seed_everything(3)
    assert dict(os.environ) == before


def test_every_option_of_a_declared_parameter_is_made_from_it():
    """Wherever the command line has ``--score-threshold``, ``--nms-iou`` or ``--val-fraction``, its
    default is the declared one and a value outside the interval is refused by the option itself."""
    seen = 0
    for prog, action in _options(build_parser()):
        for param in DECLARED:
            if param.flag in action.option_strings:
                seen += 1
                assert action.default == param.default and action.dest == param.name, (prog, param.flag)
                assert action.help.startswith(param.help), (prog, param.flag, action.help)
                if param is not SEED:
                    with pytest.raises(argparse.ArgumentTypeError):
                        action.type("1")  # outside every declared share's interval (each is open at 1)
    assert seen >= 3


@pytest.mark.parametrize("verb, flag, value, says", [
    ("detect", "--score-threshold", "1", "must be a number in [0, 1)"),
    ("detect", "--nms-iou", "0", "must be a number in (0, 1)"),
    ("fit", "--val-fraction", "1", "must be a number in (0, 1)"),
    ("fit", "--input-size", "100", "must be a multiple of 32 in 32..2,048"),
])
def test_a_bad_value_is_refused_naming_the_flag_before_any_work(tmp_path, capsys, verb, flag, value, says):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"not decoded: the option is refused first")
    where = [str(photo), "--weights", "coco"] if verb == "detect" else [str(tmp_path)]
    status = main(["yolo", verb, *where, "--out", str(tmp_path / "out"), flag, value])
    err = capsys.readouterr().err
    assert status == 2 and f"argument {flag}: {says}" in err, err
    assert not (tmp_path / "out").exists()


def test_the_library_names_the_parameter():
    with pytest.raises(InputError, match=r"score_threshold must be a number in \[0, 1\)"):
        SCORE_THRESHOLD.check(1.0)
    with pytest.raises(InputError, match=r"val_fraction must be a number in \(0, 1\)"):
        seeded_split(["a", "b"], val_fraction=1.0)
    assert NMS_IOU.check(0.5) == 0.5 and NMS_IOU.flag == "--nms-iou"


def test_detect_files_checks_its_thresholds_before_writing(tmp_path):
    from mlbasics.vision.yolo.detect import detect_files

    with pytest.raises(InputError, match="nms_iou"):
        detect_files(None, [tmp_path / "photo.jpg"], tmp_path / "out", nms_iou=0.0)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_an_interval_with_open_ends_and_a_step():
    side = limits.Range(32, 2048, "why", multiple_of=32)
    assert side.problem(64) is None and side.problem(2048) is None
    assert "multiple of 32" in side.problem(100) and side.problem(2080) is not None
    share = limits.SHARE
    assert share.problem(0.5) is None and share.problem(0) and share.problem(1)
    assert limits.SCORE.problem(0) is None and limits.SCORE.problem(1)


def test_fit_refuses_a_bad_argument_before_writing(tmp_path):
    """``fit`` used to decode every photo before refusing ``val_fraction=1``, and write its data files
    before refusing ``input_size=100``."""
    from mlbasics.vision.yolo.fit import fit

    for bad, says in ({"val_fraction": 1.0}, "val_fraction"), ({"input_size": 100}, "input_size must be a multiple"):
        with pytest.raises(InputError, match=says):
            fit(tmp_path / "photos", tmp_path / "out", **bad)
        assert not (tmp_path / "out").exists()
