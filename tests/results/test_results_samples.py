"""Hand-made logs in the exact format the project's train.py writes through Dassl, for the results tests.

The samples (tests/result_samples.py) read back as the kinds of run they stand for, starting from the log
shown in the results issue.
"""

from __future__ import annotations

from result_samples import make_log

from medprompt.results import read_log

ISSUE_SAMPLE = """\
***************
** Arguments **
***************
backbone:
config_file: configs/trainers/MedPromptCLIP/vit_b16.yaml
seed: 1
trainer: MedPromptCLIP
************
** Config **
************
DATALOADER:
  NUM_WORKERS: 4
SEED: 1
Loading trainer: MedPromptCLIP
epoch [1/5] batch [1/2] time 0.105 (0.105) data 0.000 (0.000) loss 12.3456 (12.3456) lr 1.0000e-05 eta 0:00:01
Finish training
Deploy the last-epoch model
Evaluate on the *test* set
=> result
* total: 36
* correct: 20
* accuracy: 55.56%
* error: 44.44%
* macro_f1: 50.12%
* balanced_accuracy: 55.00%
* kappa: 33.33%
* macro_auc: 70.50%
* macro_specificity: 85.19%
Elapsed: 0:00:04
"""


def test_issue_sample_reads_as_a_finished_training_run(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text(ISSUE_SAMPLE)
    log = read_log(path)
    assert log.finished_training and not log.eval_only
    assert log.final is not None and log.final.split == "test" and log.final.total == 36
    assert log.final.metrics == {
        "accuracy": 55.56, "error": 44.44, "macro_f1": 50.12, "balanced_accuracy": 55.00,
        "kappa": 33.33, "macro_auc": 70.50, "macro_specificity": 85.19,
    }
    assert log.config == {"DATALOADER.NUM_WORKERS": "4", "SEED": "1"}
    assert log.args["trainer"] == "MedPromptCLIP" and log.args["seed"] == "1"


def test_made_logs_read_back_as_their_kind(tmp_path):
    cases = {
        "finished": ({"accuracy": 61.0}, {}, True),
        "eval_only": ({"accuracy": 40.0}, {"eval_only": True}, True),
        "no_result": ({"accuracy": 61.0}, {"kind": "no_result"}, False),
        "crashed": ({"accuracy": 61.0}, {"kind": "crashed", "val_metrics": {"accuracy": 50.0}}, False),
    }
    for name, (metrics, options, finished) in cases.items():
        path = tmp_path / name
        path.write_text(make_log(metrics, **options))
        log = read_log(path)
        assert (log.final is not None) is finished, name
        if finished:
            assert log.final.metrics == metrics, name
        else:
            assert log.reason, name
