"""The CLIP side: loading backbones, the prompted text and vision encoders every method shares, the
frozen image-feature encoding, and CLIP's cosine logits."""
