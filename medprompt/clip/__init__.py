"""Backbones and what runs through them: towers, encoders, prompts, image features."""
