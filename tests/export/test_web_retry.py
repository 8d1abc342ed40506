"""run_page tries a browser that failed to start once more, but never hides an error the page reports."""

import pytest

from mlbasics.export.web import check


def test_a_browser_that_fails_to_start_is_tried_once_more(monkeypatch, capsys):
    calls = []

    def flaky(*args):
        calls.append(args)
        if len(calls) == 1:
            raise TimeoutError("Timeout 120000ms exceeded")
        return "ran"

    monkeypatch.setattr(check, "_run_page", flaky)
    assert check.run_page("http://127.0.0.1:1/", "camera.y4m") == "ran"
    assert len(calls) == 2 and "trying once more" in capsys.readouterr().err
    calls.clear()
    monkeypatch.setattr(check, "_run_page", lambda *args: calls.append(args) or (_ for _ in ()).throw(
        TimeoutError("again")))
    with pytest.raises(TimeoutError, match="again"):
        check.run_page("http://127.0.0.1:1/", "camera.y4m")
    assert len(calls) == 2  # two attempts in all, then the error


def test_an_error_the_page_reports_is_not_retried(monkeypatch):
    calls = []

    def broken(*args):
        calls.append(args)
        raise check.PageError("the page failed: no camera")

    monkeypatch.setattr(check, "_run_page", broken)
    with pytest.raises(check.PageError, match="no camera"):
        check.run_page("http://127.0.0.1:1/", "camera.y4m")
    assert len(calls) == 1
