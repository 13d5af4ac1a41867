"""Run machinery: what a run checks at start, how it holds its folder, when it counts as finished."""
