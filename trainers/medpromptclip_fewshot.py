"""MedPromptCLIP's published few-shot stage: the deep text prompts of a MedPromptCLIP (text-only) run, fine-tuned
with cross-entropy on K labelled images per class.

The run to start from is TRAINER.STACKING.INIT_FROM (an output folder or checkpoint file) or, as in the
publisher's script, `--model-dir` on a training command line. The prompt shape (N_CTX, DEPTH) is the one of
that run's checkpoint unless TRAINER.MEDPROMPTCLIP_FEWSHOT sets it (0 = from the checkpoint). The publisher's
few-shot configs name TRAINER.IVLP.* keys that its Fewshot trainer never reads (it reads
TRAINER.MEDPROMPTCLIP.*); this trainer follows what that code does, deep text prompts only (docs/PUBLISHED.md).
Per-dataset optimisation: configs/published/MedPromptCLIP_FewShot/fewshot/<dataset>.yaml.
"""

from __future__ import annotations

from dassl.engine import TRAINER_REGISTRY
from yacs.config import CfgNode as CN

from medprompt.run.checkpoints import read_checkpoint
from medprompt.utils.errors import ConfigError
from trainers.coop import MedPromptCLIP_CoOp, add_prompt_keys
from trainers.stacking import STACKING_KEYS, add_stacking_config, checkpoint_file

KEYS = "TRAINER.MEDPROMPTCLIP_FEWSHOT"


def add_config(cfg):
    cfg.TRAINER.MEDPROMPTCLIP_FEWSHOT = CN()
    add_prompt_keys(cfg.TRAINER.MEDPROMPTCLIP_FEWSHOT, n_ctx=0, ctx_init="", depth=0)  # 0: the checkpoint's
    add_stacking_config(cfg)


def checkpoint_shape(init_from: str) -> tuple[int, int]:
    """(n_ctx, depth) of the MedPromptCLIP checkpoint named by INIT_FROM, read from its prompt tensors."""
    state = read_checkpoint(checkpoint_file(init_from))["state_dict"]
    if "ctx" not in state:
        raise ConfigError(f"{STACKING_KEYS}.INIT_FROM {init_from} holds no text prompts (no 'ctx' tensor): "
                          f"give a MedPromptCLIP run")
    return int(state["ctx"].shape[-2]), 1 + sum(1 for key in state if key.startswith("deep_ctx."))


@TRAINER_REGISTRY.register()
class MedPromptCLIP_FewShot(MedPromptCLIP_CoOp):  # noqa: N801  (the method's name)
    """Cross-entropy on K shots, from a MedPromptCLIP run's deep text prompts (required)."""

    OPTS = "MEDPROMPTCLIP_FEWSHOT"
    SHAPE_FROM_INIT = True  # train.py: --model-dir of an evaluation also gives the prompt shape

    @property
    def opts(self):
        if getattr(self, "_shaped", None) is None:
            own = self.cfg.TRAINER.MEDPROMPTCLIP_FEWSHOT.clone()
            own.defrost()
            init_from = self.cfg.TRAINER.STACKING.INIT_FROM
            if not own.N_CTX or not own.DEPTH:
                if not init_from:
                    raise ConfigError(f"Trainer MedPromptCLIP_FewShot starts from a MedPromptCLIP run: give "
                                      f"{STACKING_KEYS}.INIT_FROM (or --model-dir when training), or set {KEYS}.N_CTX "
                                      f"and {KEYS}.DEPTH to that run's prompt shape")
                n_ctx, depth = checkpoint_shape(init_from)
                own.N_CTX, own.DEPTH = own.N_CTX or n_ctx, own.DEPTH or depth
            self._shaped = own
        return self._shaped
