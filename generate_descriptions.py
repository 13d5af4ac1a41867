"""Write LLM descriptions of a dataset's classes: llm_descriptions/<Dataset>.json plus its provenance.

Examples (see docs/DESCRIPTIONS.md):
  OPENAI_API_KEY=... python generate_descriptions.py --dataset FFA --model gpt-4o-mini
  python generate_descriptions.py --classes "normal lung,pneumonia" --modality "chest X-ray" \\
      --name Pneumonia --question-set vip_symptoms --base-url http://localhost:11434/v1 --model llama3.1
Running the same command again resumes: classes already written are skipped.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from medprompt.data.classnames import normalize_classname
from medprompt.utils.entrypoint import USER_ERROR_STATUS, run_main
from medprompt.utils.errors import ConfigError, UserError
from medprompt.llm.questions import available_question_sets, load_question_set
from medprompt.llm.redact import redact

# the openai client (medprompt.llm.client, .generate) is imported once the command line is checked

log = logging.getLogger("medprompt.llm")
# Local servers (vLLM, Ollama) accept any key, but the client refuses to start without one.
PLACEHOLDER_KEY = "no-key-set"


class RedactFilter(logging.Filter):
    """Replaces the API key in every record that reaches the handler, whichever library logged it."""

    def __init__(self, secret: str | None) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secret:
            message = record.getMessage()
            if self.secret in message:
                record.msg, record.args = redact(message, [self.secret]), ()
        return True


def build_parser() -> argparse.ArgumentParser:
    """The command line; every server setting falls back to an environment variable."""
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_argument_group("what to describe")
    what.add_argument("--dataset", action="append", default=[], help="registered dataset name; repeat to "
                      "merge the classes of several datasets (e.g. for the multi-modality eye file)")
    what.add_argument("--classes", help='comma-separated class names, e.g. "normal lung,pneumonia"')
    what.add_argument("--modality", help='imaging modality, e.g. "fundus photograph" (default: the dataset\'s)')
    what.add_argument("--question-set", default="medpromptclip",
                      help=f"name in configs/questions ({', '.join(available_question_sets())}) or a YAML path")
    out = p.add_argument_group("where to write")
    out.add_argument("--name", help="output file stem (default: the dataset name)")
    out.add_argument("--output-dir", default="llm_descriptions", help="default: %(default)s")
    out.add_argument("--output", help="output file path (overrides --output-dir and --name)")
    out.add_argument("--overwrite", action="store_true", help="start again instead of resuming")
    out.add_argument("--print-prompts", action="store_true", help="print the first class's messages; no requests")
    srv = p.add_argument_group("server and sampling")
    srv.add_argument("--model", default=env("MEDPROMPT_LLM_MODEL"), help="model (Azure: deployment) name; "
                     "env MEDPROMPT_LLM_MODEL")
    srv.add_argument("--base-url", help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1; env "
                     "OPENAI_BASE_URL (Azure: the endpoint, env AZURE_OPENAI_ENDPOINT)")
    srv.add_argument("--azure", action="store_true", help="use the client's Azure OpenAI class")
    srv.add_argument("--api-version", default=env("OPENAI_API_VERSION"), help="Azure API version; "
                     "env OPENAI_API_VERSION")
    srv.add_argument("--api-key-env", help="environment variable holding the key (default OPENAI_API_KEY, "
                     "with --azure AZURE_OPENAI_API_KEY)")
    srv.add_argument("--api-key", help="the key itself (prefer the environment: flags show in process lists)")
    srv.add_argument("--temperature", type=float, default=_env_number("MEDPROMPT_LLM_TEMPERATURE", float),
                     help="env MEDPROMPT_LLM_TEMPERATURE (default: the question set's)")
    srv.add_argument("--n", type=int, default=_env_number("MEDPROMPT_LLM_N", int),
                     help="answers per question; env MEDPROMPT_LLM_N (default: the question set's)")
    srv.add_argument("--max-tokens", type=int, help="cap on each answer's length")
    srv.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default %(default)s)")
    srv.add_argument("--max-attempts", type=int, default=6, help="tries per request (default %(default)s)")
    srv.add_argument("--backoff", type=float, default=1.0, help="first retry wait in s, doubled each retry")
    srv.add_argument("--max-backoff", type=float, default=60.0, help="longest retry wait in s")
    return p


def _env_number(name: str, cast: type) -> float | int | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return cast(value)
    except ValueError:
        raise SystemExit(f"environment variable {name}={value!r} is not a {cast.__name__}") from None


def resolve_classes(args: argparse.Namespace) -> tuple[list[str], str | None, str | None]:
    """(class names, modality, default output stem) from --classes or the dataset specs."""
    if args.classes and args.dataset:
        raise ConfigError("give either --classes or --dataset, not both")
    if args.classes:
        classes = [c.strip() for c in args.classes.split(",") if c.strip()]
        return classes, args.modality, args.name
    if not args.dataset:
        raise ConfigError("nothing to describe: give --dataset NAME or --classes 'a,b,c' with --modality")
    try:
        from medprompt.data.specs import get_spec  # lazy: the dataset table is only needed here
    except ImportError as exc:
        raise ConfigError(f"the dataset table is not available ({exc}); give --classes and --modality") from None

    classes: list[str] = []
    seen: set[str] = set()
    modalities: list[str] = []
    for name in args.dataset:
        try:
            spec = get_spec(name)
        except KeyError as exc:
            raise ConfigError(exc.args[0] if exc.args else f"unknown dataset {name!r}") from None
        modalities.append(spec.modality)
        for c in spec.classnames:
            if normalize_classname(c) not in seen:
                seen.add(normalize_classname(c))
                classes.append(c)
    modality = args.modality
    if modality is None and len(set(modalities)) == 1:
        modality = modalities[0]
    stem = args.name or (args.dataset[0] if len(args.dataset) == 1 else None)
    return classes, modality, stem


def main(argv: list[str] | None = None) -> int:
    """Run the command; 0 when every class is in the file, 1 when some are not, 2 for a user mistake (no API
    key, an unknown dataset or question set), as for every entry point (medprompt/utils/entrypoint.py)."""
    args = build_parser().parse_args(argv)
    key_env = args.api_key_env or ("AZURE_OPENAI_API_KEY" if args.azure else "OPENAI_API_KEY")
    api_key = args.api_key or os.environ.get(key_env)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter(api_key))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        return _run(args, api_key, key_env)
    except UserError as exc:  # one line, with the key redacted; other errors are bugs (medprompt.utils.entrypoint)
        log.error("%s", redact(str(exc), [api_key]))
        return USER_ERROR_STATUS
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _run(args: argparse.Namespace, api_key: str | None, key_env: str) -> int:
    qset = load_question_set(args.question_set)
    classes, modality, stem = resolve_classes(args)
    if modality is None and qset.uses_modality() and not qset.modalities:
        raise ConfigError(f"question set {qset.name!r} needs --modality (the datasets given differ or have none)")
    if args.output:
        output = Path(args.output)
    elif stem:
        output = Path(args.output_dir) / qset.output_subdir / f"{stem}.json"
    else:
        raise ConfigError("give --name (or --output) when describing classes from --classes or several datasets")
    if args.print_prompts:
        print(f"system: {qset.system}")
        for _, user in qset.prompts(normalize_classname(classes[0]), modality):
            print(f"user: {user}")
        return 0

    from medprompt.llm.client import ChatAsker, ChatSettings, RetryPolicy, make_client, server_host
    from medprompt.llm.generate import generate

    base_url = args.base_url or os.environ.get("AZURE_OPENAI_ENDPOINT" if args.azure else "OPENAI_BASE_URL")
    if not api_key:
        if not base_url or args.azure:
            raise ConfigError(f"no API key: set {key_env} (or pass --api-key-env / --base-url for a local server)")
        log.info("no API key in %s; sending a placeholder (fine for local servers)", key_env)
        api_key = PLACEHOLDER_KEY
    settings = ChatSettings(
        model=args.model or "",
        api_key=api_key,
        base_url=base_url,
        azure=args.azure,
        api_version=args.api_version,
        temperature=args.temperature if args.temperature is not None else qset.defaults.get("temperature", 0.7),
        n=args.n if args.n is not None else qset.defaults.get("n", 1),
        timeout=args.timeout,
        max_tokens=args.max_tokens,
    )
    client = make_client(settings)
    policy = RetryPolicy(args.max_attempts, args.backoff, args.max_backoff)
    asker = ChatAsker(client, settings, policy)
    host = server_host(client.base_url)
    log.info("%d classes, question set %s, model %s on %s -> %s", len(classes), qset.name, settings.model,
             host, output)
    summary = generate(classes, modality, qset, asker, output, server=host, overwrite=args.overwrite)
    log.info("wrote %d class(es), %d already done, %d request(s), %d retr%s; dropped: %s",
             len(summary.written), len(summary.skipped), asker.requests, asker.retries,
             "y" if asker.retries == 1 else "ies", dict(summary.dropped_by_reason) or "nothing")
    if not summary.complete:
        log.error("%d class(es) not saved, run again to retry them: %s", len(summary.incomplete),
                  "; ".join(f"{k}: {v}" for k, v in summary.incomplete.items()))
        return 1
    return 0


if __name__ == "__main__":
    run_main(main, "generate_descriptions.py")
