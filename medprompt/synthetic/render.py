"""Procedural drawing of synthetic medical-like images from an attribute tuple (numpy only, no assets).

Each modality has its own background: skin seen through a dermoscope (beige with a dark circular
vignette), a fundus photograph (orange-red disc on black with branching vessels and a bright optic disc),
a chest radiograph (grey lung fields between bright ribs) and an endoscopy image (pink mucosa in a
dark lumen-shaped frame with mucosal folds and specular highlights). Lesions are drawn on it as soft masks whose
shape, edge, fill texture, colour, size and number follow the attributes; position, scale, colour and
background vary at random, so one class gives many different images.
"""

from __future__ import annotations

import numpy as np

from medprompt.synthetic.diseases import Attributes

IMAGE_SIZE = 48

#: Lesion colours per modality (RGB 0..1); a radiograph uses grey levels only.
PALETTES: dict[str, dict[str, tuple[float, float, float]]] = {
    "derm": {"red": (0.80, 0.15, 0.18), "brown": (0.45, 0.26, 0.12), "black": (0.10, 0.08, 0.09),
             "yellow": (0.92, 0.80, 0.30), "white": (0.97, 0.96, 0.93)},
    "fundus": {"red": (0.45, 0.03, 0.03), "yellow": (0.98, 0.88, 0.35), "white": (0.98, 0.97, 0.92),
               "black": (0.12, 0.06, 0.05)},
    "xray": {"white": (0.95, 0.95, 0.95), "black": (0.03, 0.03, 0.03)},
    "endo": {"brown": (0.40, 0.22, 0.10), "black": (0.08, 0.05, 0.06), "yellow": (0.95, 0.85, 0.35),
             "white": (0.97, 0.97, 0.95)},
}
RADIUS = {"small": (0.045, 0.06), "large": (0.17, 0.22)}  # fraction of the image width
COUNT = {"single": (1, 1), "few": (2, 3), "many": (7, 12)}


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    return (x + 0.5) / size, (y + 0.5) / size


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a coarse random grid upsampled bilinearly."""
    coarse = rng.random((cells + 1, cells + 1)).astype(np.float32)
    t = np.linspace(0, cells, size, dtype=np.float32)
    i = np.minimum(t.astype(int), cells - 1)
    f = t - i
    rows = coarse[i] * (1 - f)[:, None] + coarse[i + 1] * f[:, None]
    return rows[:, i] * (1 - f)[None, :] + rows[:, i + 1] * f[None, :]


def background(modality: str, rng: np.random.Generator, size: int = IMAGE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """(image [H, W, 3] in 0..1, mask of where lesions may be placed)."""
    x, y = _grid(size)
    r = np.hypot(x - 0.5, y - 0.5)
    noise = _smooth_noise(rng, size, 4)
    if modality == "derm":
        skin = np.array([0.85, 0.64, 0.52]) + rng.uniform(-0.06, 0.06, 3)
        img = skin[None, None, :] * (0.92 + 0.12 * noise[..., None])
        vignette = np.clip((r - 0.42) / 0.08, 0, 1)[..., None]
        img = img * (1 - vignette) + 0.05 * vignette
        allowed = r < 0.36
    elif modality == "fundus":
        base = np.array([0.80, 0.33, 0.12]) + rng.uniform(-0.06, 0.06, 3)
        img = base[None, None, :] * (0.85 + 0.2 * noise[..., None]) * (1.0 - 0.5 * r)[..., None]
        disc_x = 0.5 + rng.choice([-1, 1]) * rng.uniform(0.18, 0.24)
        disc_y = 0.5 + rng.uniform(-0.05, 0.05)
        # vessels: a few arcs leaving the optic disc
        for _ in range(4):
            bend = rng.uniform(-2.5, 2.5)
            angle = rng.uniform(0, 2 * np.pi)
            dx, dy = x - disc_x, y - disc_y
            along = dx * np.cos(angle) + dy * np.sin(angle)
            across = -dx * np.sin(angle) + dy * np.cos(angle) - bend * along**2
            vessel = np.exp(-(across / 0.012) ** 2) * (along > 0)
            img = img * (1 - 0.45 * vessel[..., None])
        disc = np.exp(-(((x - disc_x) ** 2 + (y - disc_y) ** 2) / 0.004))
        img = img + disc[..., None] * (np.array([1.0, 0.9, 0.6]) - img)
        outside = np.clip((r - 0.46) / 0.02, 0, 1)[..., None]
        img = img * (1 - outside)
        allowed = (r < 0.36) & (np.hypot(x - disc_x, y - disc_y) > 0.12)
    elif modality == "xray":
        grey = 0.55 + rng.uniform(-0.05, 0.05)
        img = np.full((size, size), grey, np.float32) * (0.9 + 0.2 * noise)
        lungs = np.zeros((size, size), np.float32)
        for cx in (0.3, 0.7):
            lungs = np.maximum(lungs, np.clip(1 - (((x - cx) / 0.17) ** 2 + ((y - 0.5) / 0.36) ** 2), 0, 1) ** 0.5)
        img = img * (1 - 0.45 * lungs)
        ribs = 0.5 + 0.5 * np.cos(2 * np.pi * (y * 5.5 + 0.4 * np.abs(x - 0.5) + rng.uniform()))
        img = img + 0.10 * ribs * lungs
        img = np.repeat(img[..., None], 3, axis=2)
        allowed = lungs > 0.45
    elif modality == "endo":
        mucosa = np.array([0.88, 0.50, 0.50]) + rng.uniform(-0.05, 0.05, 3)
        # folds: soft concentric bands around an off-centre lumen
        lx, ly = 0.5 + rng.uniform(-0.15, 0.15, 2)
        d = np.hypot(x - lx, y - ly)
        folds = 0.5 + 0.5 * np.cos(2 * np.pi * d * 4.0 + rng.uniform(0, 2 * np.pi))
        img = mucosa[None, None, :] * (0.85 + 0.1 * folds[..., None] + 0.1 * noise[..., None])
        lumen = np.clip(1 - d / 0.09, 0, 1)[..., None]
        img = img * (1 - 0.8 * lumen)
        for _ in range(3):  # specular highlights
            hx, hy = rng.uniform(0.2, 0.8, 2)
            img = img + 0.5 * np.exp(-((x - hx) ** 2 + (y - hy) ** 2) / 0.0006)[..., None]
        # an octagonal scope frame
        frame = np.maximum(np.abs(x - 0.5), np.abs(y - 0.5)) * 0.75 + (np.abs(x - 0.5) + np.abs(y - 0.5)) * 0.5
        img = img * (frame < 0.48)[..., None]
        allowed = (frame < 0.4) & (d > 0.12)
    else:
        raise KeyError(f"unknown synthetic modality {modality!r}")
    return np.clip(img, 0, 1).astype(np.float32), allowed


def _lesion_distance(x, y, cx, cy, radius, shape, rng) -> np.ndarray:
    """Distance in units of the radius: < 1 inside the lesion, 1 on its edge."""
    dx, dy = x - cx, y - cy
    if shape == "round":
        return np.hypot(dx, dy) / radius
    if shape == "irregular":
        theta = np.arctan2(dy, dx)
        wobble = sum(rng.uniform(0.08, 0.18) * np.cos(k * theta + rng.uniform(0, 2 * np.pi)) for k in (2, 3, 5))
        return np.hypot(dx, dy) / (radius * (1 + wobble))
    if shape == "ring":
        return np.abs(np.hypot(dx, dy) - 0.75 * radius) / (0.3 * radius)
    if shape == "streak":
        angle = rng.uniform(0, np.pi)
        along = dx * np.cos(angle) + dy * np.sin(angle)
        across = -dx * np.sin(angle) + dy * np.cos(angle)
        return np.hypot(along / (2.2 * radius), across / (0.35 * radius))
    raise KeyError(f"unknown shape {shape!r}")


def _texture(texture: str, x, y, rng) -> np.ndarray:
    """Multiplicative fill pattern around 1."""
    if texture == "smooth":
        return np.ones_like(x)
    if texture == "speckled":
        dots = rng.random(x.shape) < 0.22
        return np.where(dots, 0.45, 1.0).astype(np.float32)
    if texture == "striped":
        angle = rng.uniform(0, np.pi)
        phase = 2 * np.pi * 12 * (x * np.cos(angle) + y * np.sin(angle))
        return (0.7 + 0.3 * np.sign(np.sin(phase))).astype(np.float32)
    if texture == "mottled":
        return 0.55 + 0.9 * _smooth_noise(rng, x.shape[0], 8)
    raise KeyError(f"unknown texture {texture!r}")


def render(modality: str, attributes: Attributes, rng: np.random.Generator, size: int = IMAGE_SIZE) -> np.ndarray:
    """One image [size, size, 3] uint8 showing `attributes` on `modality`."""
    palette = PALETTES[modality]
    if attributes.colour not in palette:
        raise ValueError(f"colour {attributes.colour!r} cannot be drawn on {modality} (allowed: {sorted(palette)})")
    img, allowed = background(modality, rng, size)
    x, y = _grid(size)
    candidates = np.argwhere(allowed)
    lo, hi = COUNT[attributes.count]
    n = int(rng.integers(lo, hi + 1))
    r_lo, r_hi = RADIUS[attributes.size]
    # many large lesions would cover everything: shrink them a little
    shrink = 0.7 if (n > 3 and attributes.size == "large") else 1.0
    colour = np.clip(np.array(palette[attributes.colour]) + rng.uniform(-0.05, 0.05, 3), 0, 1)
    if modality == "xray":
        colour = np.full(3, colour.mean())
    edge = 0.06 if attributes.border == "sharp" else 0.6  # width of the soft edge, in radii
    for _ in range(n):
        cy, cx = (candidates[rng.integers(len(candidates))] + 0.5) / size
        radius = rng.uniform(r_lo, r_hi) * shrink
        d = _lesion_distance(x, y, cx, cy, radius, attributes.shape, rng)
        alpha = np.clip((1 + edge / 2 - d) / edge, 0, 1)
        if attributes.border == "blurry":
            alpha = alpha**1.5
        fill = colour[None, None, :] * _texture(attributes.texture, x, y, rng)[..., None]
        img = img * (1 - alpha[..., None]) + np.clip(fill, 0, 1) * alpha[..., None]
    img = img + rng.normal(0, 0.02, img.shape)  # sensor noise
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
