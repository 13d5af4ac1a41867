"""CLIP backbones: loading by name, the publishers' file formats, prompted text and image encoders."""
