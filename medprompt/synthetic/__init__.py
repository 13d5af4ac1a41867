"""The synthetic medical world: attribute table, image renderer, captions, descriptions, dataset writer."""
