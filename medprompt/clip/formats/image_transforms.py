"""Test-time image transforms of publishers whose preprocessing open_clip's `image_transform` cannot state."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms as T


class PadToSquare:
    """Paste the image in the middle of a black square of side max(min_size, width, height) (MedCLIP,
    medclip/dataset.py @9c3396f, MedCLIPFeatureExtractor.pad_img)."""

    def __init__(self, min_size: int, fill: int = 0):
        self.min_size, self.fill = min_size, fill

    def __call__(self, image: Image.Image) -> Image.Image:
        width, height = image.size
        side = max(self.min_size, width, height)
        canvas = Image.new(image.mode, (side, side), self.fill)
        canvas.paste(image, ((side - width) // 2, (side - height) // 2))
        return canvas

    def __repr__(self) -> str:
        return f"PadToSquare(min_size={self.min_size}, fill={self.fill})"


class ResizeLongestPad:
    """Resize a [C, H, W] tensor so its longest side is `size` (bilinear, antialiased), then pad right and
    bottom with zeros to size x size (FLAIR, flair/modeling/model.py @d6652d5, FLAIRModel.preprocess_image)."""

    def __init__(self, size: int):
        self.size = size

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        height, width = image.shape[-2:]
        scale = max(height, width) / self.size
        image = T.functional.resize(image, [int(height / scale), int(width / scale)], antialias=True)
        return F.pad(image, (0, self.size - image.shape[-1], 0, self.size - image.shape[-2]))

    def __repr__(self) -> str:
        return f"ResizeLongestPad(size={self.size})"


class ToRGB:
    """PIL image in RGB (a class rather than a lambda, so the transform pickles for loader workers)."""

    def __call__(self, image: Image.Image) -> Image.Image:
        return image.convert("RGB")

    def __repr__(self) -> str:
        return "ToRGB()"


def medclip_transform(size: int, mean: float, std: float) -> T.Compose:
    """MedCLIP's feature extractor: grey, padded square, bicubic resize, centre crop, one mean/std on 3 channels."""
    return T.Compose([T.Grayscale(num_output_channels=3), PadToSquare(size),
                      T.Resize(size, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(size), T.ToTensor(),
                      T.Normalize([mean] * 3, [std] * 3)])


def flair_transform(size: int) -> T.Compose:
    """FLAIR's preprocess_image: RGB scaled to [0, 1], longest side resized to `size`, zero padding; no mean/std."""
    return T.Compose([ToRGB(), T.ToTensor(), ResizeLongestPad(size)])
