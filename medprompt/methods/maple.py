"""MaPLe's multi-modal prompts: deep text prompts, and vision prompts made from them.

For each prompted layer i (0 = the input, then 1..depth-1) a linear coupling maps that layer's text
prompt vectors [n_ctx, text width] to vision prompt vectors [n_ctx, vision width]; the vision prompts
are appended to the image tokens (medprompt.clip.vision_encoder). Only the text prompts and the couplings
are learned, so both branches are tied through the text prompts.
"""

from __future__ import annotations

from torch import Tensor, nn

from medprompt.utils.errors import ConfigError
from medprompt.clip.prompts import TextPrompts
from medprompt.clip.vision_encoder import PromptedVisionEncoder


class CoupledPrompts(nn.Module):
    """Text prompts plus one coupling (text width -> vision width) per vision-prompted layer."""

    def __init__(self, prompts: TextPrompts, vision: PromptedVisionEncoder, text_width: int):
        super().__init__()
        if prompts.class_specific:
            raise ConfigError("MaPLe couples one shared context to the image tower; "
                              "class-specific context is not supported")
        self.prompts = prompts
        self.vision_depth = min(prompts.depth, vision.num_layers)
        self.couplings = nn.ModuleList([nn.Linear(text_width, vision.width) for _ in range(self.vision_depth)])

    def vision_prompts(self) -> tuple[Tensor, list[Tensor]]:
        """(shallow [n_ctx, vision width], deep list for layers 1..vision_depth-1)."""
        text = [self.prompts.ctx, *self.prompts.deep_ctx][: self.vision_depth]
        mapped = [coupling(t) for coupling, t in zip(self.couplings, text)]
        return mapped[0], mapped[1:]
