"""Compare methods across an output tree: python parse_results.py OUTPUT_DIR [--metric ...] [--format ...]."""

from medprompt.results.cli import main

if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "parse_results.py")
