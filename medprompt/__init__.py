"""Dassl-free core: backbones, prompting, descriptions, losses, metrics, caches.

Nothing in this package imports Dassl, so it is tested everywhere.
"""
