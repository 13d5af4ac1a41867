"""Reading single logs and seed folders: which evaluation counts, and why a run is unfinished."""

from __future__ import annotations

import pytest

from medprompt.results import read_log, read_run

try:
    from result_samples import make_log, result_block
except ImportError:  # tests/ imported as a package
    from tests.test_results_samples import make_log, result_block


def _write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def test_validation_blocks_before_finish_do_not_count(tmp_path):
    path = _write(tmp_path, "log.txt", make_log({"accuracy": 70.0}, val_metrics={"accuracy": 90.0}))
    log = read_log(path)
    assert [e.split for e in log.evaluations] == ["val", "test"]
    assert [e.after_training for e in log.evaluations] == [False, True]
    assert log.final.metrics["accuracy"] == 70.0


def test_last_result_after_finish_wins(tmp_path):
    text = make_log({"accuracy": 10.0}).replace("Elapsed", result_block({"accuracy": 20.0}) + "Elapsed")
    log = read_log(_write(tmp_path, "log.txt", text))
    assert len(log.evaluations) == 2
    assert log.final.metrics["accuracy"] == 20.0


def test_unfinished_runs_have_no_final_and_say_why(tmp_path):
    crashed = read_log(_write(tmp_path, "a", make_log({"accuracy": 1.0}, kind="crashed",
                                                        val_metrics={"accuracy": 50.0})))
    assert crashed.final is None and crashed.evaluations  # the validation result is not taken
    assert "did not finish" in crashed.reason
    no_result = read_log(_write(tmp_path, "b", make_log({"accuracy": 1.0}, kind="no_result")))
    assert no_result.finished_training and no_result.final is None
    assert "Finish training" in no_result.reason
    empty_eval = read_log(_write(tmp_path, "c", make_log(None, eval_only=True)))
    assert empty_eval.eval_only and empty_eval.final is None


def test_eval_only_result_counts(tmp_path):
    log = read_log(_write(tmp_path, "log.txt", make_log({"accuracy": 33.5, "kappa": 12.25}, eval_only=True)))
    assert log.eval_only and not log.finished_training
    assert log.final.metrics == {"accuracy": 33.5, "kappa": 12.25}


def test_log_without_argument_block_is_read_by_its_content(tmp_path):
    bare = read_log(_write(tmp_path, "a", result_block({"accuracy": 42.0})))
    assert bare.eval_only and bare.final.metrics["accuracy"] == 42.0
    training = make_log({"accuracy": 1.0}, kind="crashed")
    training = training[training.index("Loading trainer"):]
    crashed = read_log(_write(tmp_path, "b", training + result_block({"accuracy": 5.0}, split="val")))
    assert not crashed.eval_only and crashed.final is None


def test_config_block_is_flattened(tmp_path):
    log = read_log(_write(tmp_path, "log.txt", make_log({"accuracy": 1.0}, lr="0.005", seed=3)))
    assert log.config["DATALOADER.TRAIN_X.BATCH_SIZE"] == "32"
    assert log.config["DATALOADER.NUM_WORKERS"] == "4"
    assert log.config["OPTIM.LR"] == "0.005"
    assert log.config["SEED"] == "3" and log.config["RESUME"] == ""
    assert "Collecting env info ..." not in str(log.config)
    assert log.args["eval_only"] == "False" and log.args["seed"] == "3"


def test_dassl_counts_and_per_class_lines(tmp_path):
    text = make_log({"accuracy": 71.5}).replace("* total: 36", "* total: 1,241")
    per_class = "=> per-class result\n* class: 0 (normal)\ttotal: 10\tcorrect: 9\tacc: 90.0%\n* average: 12.0%\n"
    text = text.replace("Elapsed", per_class + "Elapsed")
    log = read_log(_write(tmp_path, "log.txt", text))
    assert log.final.total == 1241
    assert log.final.metrics == {"accuracy": 71.5}


def test_bad_metric_value_names_file_and_line(tmp_path):
    text = make_log({"accuracy": 1.0}).replace("* accuracy: 1.00%", "* accuracy: 1.2.3%")
    path = _write(tmp_path, "log.txt", text)
    line = text.splitlines().index("* accuracy: 1.2.3%") + 1
    with pytest.raises(ValueError, match=rf"log\.txt:{line}: metric 'accuracy'"):
        read_log(path)


def test_seed_folder_last_finished_log_wins(tmp_path):
    folder = tmp_path / "seed1"
    _write(folder, "log.txt", make_log({"accuracy": 50.0}))
    _write(folder, "log.txt-2024-03-01-10-00-00", make_log({"accuracy": 1.0}, kind="crashed"))
    _write(folder, "log.txt-2024-02-01-10-00-00", make_log({"accuracy": 60.0}, eval_only=True))
    _write(folder, "log.txt.bak", make_log({"accuracy": 99.0}))
    run = read_run(folder)
    assert [p.path.name for p in run.logs] == [
        "log.txt", "log.txt-2024-02-01-10-00-00", "log.txt-2024-03-01-10-00-00"]
    assert run.winner.path.name == "log.txt-2024-02-01-10-00-00"
    # a training started after that evaluation stopped mid-way: the folder no longer holds a finished run
    assert run.metrics == {} and "its last training stopped before 'Finish training'" in run.reason
    (folder / "log.txt-2024-03-01-10-00-00").unlink()
    assert read_run(folder).metrics == {"accuracy": 60.0}


def test_seed_folder_without_finished_log(tmp_path):
    empty = tmp_path / "seed2"
    empty.mkdir()
    assert read_run(empty).reason == "no log file" and not read_run(empty).finished
    _write(empty, "log.txt", make_log({"accuracy": 1.0}, kind="no_result"))
    assert "log.txt" in read_run(empty).reason
    with pytest.raises(FileNotFoundError, match="seed9"):
        read_run(tmp_path / "seed9")


def _flatten(node, prefix=""):
    out = {}
    for key, value in node.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def test_real_dassl_config_dump_is_read_key_by_key(tmp_path):
    dassl = pytest.importorskip("dassl", reason="stock Dassl is not installed (see README)")
    from dassl.config import get_cfg_default

    cfg = get_cfg_default()
    cfg.OPTIM.LR = 0.0123
    text = make_log({"accuracy": 1.0})
    head, tail = text.split("DATALOADER:", 1)
    tail = tail[tail.index("Collecting env info"):]
    log = read_log(_write(tmp_path, "log.txt", head + str(cfg) + "\n" + tail))
    assert dassl is not None
    assert log.config == _flatten(cfg)
    assert log.config["OPTIM.LR"] == "0.0123" and len(log.config) > 100
    assert log.final.metrics == {"accuracy": 1.0}
