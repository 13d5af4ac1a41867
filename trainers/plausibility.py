"""A trained run whose test predictions never moved is flagged where it is printed: the learner's tensors
are kept before the first epoch, and after training the test images are scored once more with them
(medprompt/results/plausibility.py words the flag; the results reader shows it as [i])."""

from __future__ import annotations

import contextlib

import torch

from medprompt.results.plausibility import FLAG_PREFIX, unchanged_predictions


class PlausibilityMixin:
    """For TrainerX subclasses whose learner is `self.learner` and whose cached-feature scores are `self.logits`."""

    def before_train(self):
        super().before_train()  # Dassl: resume (sets start_epoch), writer, clock
        # the learned tensors before the first epoch, to see whether training moved any test prediction
        learner = getattr(self, "learner", None)
        trains = learner is not None and self.start_epoch == 0 and any(p.requires_grad for p in learner.parameters())
        self._initial_state = ({k: v.detach().clone() for k, v in learner.state_dict().items()} if trains else None)

    def after_train(self):
        self._trained = getattr(self, "_initial_state", None) is not None
        super().after_train()

    @contextlib.contextmanager
    def initial_learner(self):
        """The learner as it was before the first epoch, for the duration of the block."""
        current = {k: v.detach().clone() for k, v in self.learner.state_dict().items()}
        self.learner.load_state_dict(self._initial_state)
        try:
            yield
        finally:
            self.learner.load_state_dict(current)

    @staticmethod
    def flag_if_unchanged(trained: list[int], initial: list[int]) -> None:
        flag = unchanged_predictions(trained, initial)
        if flag:
            print(FLAG_PREFIX + flag)

    @torch.no_grad()
    def flag_unchanged_predictions(self, features: torch.Tensor, logits: torch.Tensor) -> None:
        """After training, print a flag when every test prediction equals the initial model's."""
        if not getattr(self, "_trained", False):
            return
        with self.initial_learner(), self.autocast():
            initial = self.logits(features.to(self.device))
        self.flag_if_unchanged(logits.argmax(1).tolist(), initial.argmax(1).tolist())
