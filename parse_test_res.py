"""CoOp-compatible parser for one experiment folder: python parse_test_res.py FOLDER [--keyword accuracy]."""

from medprompt.results.coop_cli import main

if __name__ == "__main__":
    from medprompt.utils.entrypoint import run_main

    run_main(main, "parse_test_res.py")
