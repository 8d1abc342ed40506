"""The benchmark runner's command line (the benchmarks themselves are run by hand, not timed in tests)."""

from benchmarks.__main__ import available, run


def test_lists_the_benchmarks():
    assert {"xor", "embeddings", "faces", "export_formats", "web"} <= set(available())


def test_unknown_names_and_misplaced_options_are_refused(capsys):
    assert run(["nope"]) == 2
    assert "unknown ['nope']" in capsys.readouterr().err
    assert run(["xor", "faces", "--images", "5"]) == 2
