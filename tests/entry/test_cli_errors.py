"""medprompt.utils.entrypoint: which exceptions are user mistakes (one message) and which are bugs (a traceback)."""

from __future__ import annotations

import pytest
from yacs.config import CfgNode

from medprompt.data.descriptions import DescriptionError
from medprompt.utils.entrypoint import run_main, user_message
from medprompt.utils.errors import UserError


def _raises(exc: BaseException):
    def main():
        raise exc
    return main


def test_user_mistake_is_one_line_and_status_2(capsys, monkeypatch):
    monkeypatch.delenv("MEDPROMPT_DEBUG", raising=False)
    with pytest.raises(SystemExit) as done:
        run_main(_raises(DescriptionError("descriptions.json: no class 'x'")), "prog")
    assert done.value.code == 2
    assert capsys.readouterr().err.startswith("prog: error: descriptions.json: no class 'x'")


@pytest.mark.parametrize("exc", [ZeroDivisionError("bug"), KeyError("bug"), ValueError("bug"), AssertionError()])
def test_bugs_keep_their_traceback(exc, monkeypatch):
    monkeypatch.delenv("MEDPROMPT_DEBUG", raising=False)
    with pytest.raises(type(exc)):
        run_main(_raises(exc), "prog")


def test_debug_variable_re_raises_user_mistakes(monkeypatch):
    monkeypatch.setenv("MEDPROMPT_DEBUG", "1")
    with pytest.raises(UserError):
        run_main(_raises(UserError("x")), "prog")


def test_yacs_errors_are_recognised_by_where_they_are_raised():
    cfg = CfgNode({"OPTIM": CfgNode({"LR": 0.1})})
    for opts, words in ((["OPTIM.LRR", "1"], ["OPTIM.LRR"]), (["OPTIM.LR", "fast"], ["OPTIM.LR", "fast"]),
                        (["OPTIM.LR"], ["KEY VALUE"])):
        with pytest.raises(Exception) as err:
            cfg.merge_from_list(opts)
        message = user_message(err.value)
        assert message and all(w in message for w in words)
    with pytest.raises(AttributeError) as err:  # a bug reading a key the code never declared
        _ = cfg.OPTIM.MISSING
    assert user_message(err.value) is None


def test_exit_status_of_main_is_kept():
    with pytest.raises(SystemExit) as done:
        run_main(lambda: 1, "prog")
    assert done.value.code == 1
