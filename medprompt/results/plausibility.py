"""Results that cannot be right, flagged where they are printed (trainers/evaluator.py, trainers/base.py)
and where they are parsed (medprompt/results/aggregate.py, flag ``i``).

- **Below chance beyond the binomial spread.** A classifier that guesses uniformly among C classes gets
  each of the n test images right with probability 1/C, so its number correct is Binomial(n, 1/C). A
  result in the lower 2.5% tail of that distribution (below its two-sided 95% interval) means the scores
  anti-correlate with the labels: a defect (labels, class order, a sign) or a model worse than guessing,
  not a measurement to average.
- **A trained run whose test predictions equal its initialisation's**: training changed nothing a test
  image sees (a learning rate that rounds to nothing, a warm-up longer than the run, a frozen learner).
"""

from __future__ import annotations

from typing import Sequence

from medprompt.results.logs import FLAG_PREFIX, LogRecord

__all__ = ["FLAG_PREFIX", "below_chance", "flags_of", "unchanged_predictions"]
LEVEL = 0.025  # lower tail probability under guessing below which a result is flagged


def below_chance(correct: int, total: int, classes: int, level: float = LEVEL) -> str:
    """Why `correct` of `total` over `classes` classes is below chance beyond the binomial spread ('' if not)."""
    if total <= 0 or classes < 2:
        return ""
    from scipy.stats import binom

    p = 1.0 / classes
    tail = float(binom.cdf(correct, total, p))
    if tail >= level:
        return ""
    return (f"accuracy {100.0 * correct / total:.2f}% ({correct} of {total}) is below chance "
            f"({100.0 * p:.2f}% for {classes} classes: {total * p:.1f} of {total} expected) beyond the binomial "
            f"spread: guessing gets {correct} or fewer right with probability {tail:.2g}")


def unchanged_predictions(trained: Sequence[int], initial: Sequence[int]) -> str:
    """Why a trained model's test predictions are implausible ('' when training moved at least one)."""
    trained, initial = list(trained), list(initial)
    if not trained or trained != initial:
        return ""
    return (f"all {len(trained)} test predictions equal those of the model at initialisation: training "
            "changed nothing the test images see (check OPTIM.LR, the warm-up and MAX_EPOCH)")


def flags_of(log: LogRecord) -> list[str]:
    """Every reason the log's finished evaluation cannot be right: the flags printed into the log, and the
    below-chance test on its counts for logs written before the evaluator printed it."""
    final = log.final
    if final is None:
        return []
    found = list(final.flags)
    if not any("below chance" in flag for flag in found) and final.total and log.num_classes:
        correct = final.correct
        if correct is None and "accuracy" in final.metrics:
            correct = round(final.metrics["accuracy"] * final.total / 100.0)
        if correct is not None:
            flag = below_chance(correct, final.total, log.num_classes)
            if flag:
                found.append(flag)
    return found
