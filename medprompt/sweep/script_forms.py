"""The per-method scripts' two command lines: this project's `CONFIG DATASET [KEY VALUE ...]`, and the
positional form of the publisher's own script for that method and protocol.

    python -m medprompt.sweep.script_forms METHOD PROTOCOL ARG ...

prints shell code (`set -- CONFIG DATASET KEY VALUE ...` and the SEEDS/SHOTS it implies) for
scripts/common.sh to eval, or the script's own usage on stderr with exit status 2. The forms are data:
the argument names, the config and options each publisher's script fixes, where the script comes from.
A form's fixed config can be replaced with the CONFIG environment variable (its published name needs the
published config layers).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from medprompt.run.choices import CLASS_TOKEN_POSITIONS
from medprompt.utils.suggest import did_you_mean

USAGE_STATUS = 2
BOOLEANS = ("True", "False")


def _number(kind: type) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            kind(value)
        except ValueError:
            return f"is not a{'n integer' if kind is int else ' number'}"
        return ""
    return check


def _word(words: Sequence[str]) -> Callable[[str], str]:
    return lambda value: "" if value in words else f"is not one of {', '.join(words)}{did_you_mean(value, words)}"


#: What each positional argument name accepts ('' when fine, else why not); DATASET and CFG are names.
CHECKS: dict[str, Callable[[str], str]] = {
    "SEED": _number(int), "SHOTS": _number(int), "NCTX": _number(int), "WEIGHT": _number(float),
    "CTP": _word(CLASS_TOKEN_POSITIONS), "CSC": _word(BOOLEANS),
}


@dataclass(frozen=True)
class Form:
    """A publisher's script: its positional arguments, what it fixes, and how its values map to ours."""

    args: tuple[str, ...]
    source: str  # repository, file and commit the argument order was read from
    config: str = ""  # the config the script fixes (CFG=...), when CFG is not an argument
    shots: str = ""  # the shots it fixes, when SHOTS is not an argument
    opts: tuple[tuple[str, str], ...] = field(default=())  # (KEY, "{ARG}" or a fixed value)

    def errors(self, argv: Sequence[str]) -> list[str]:
        problems = [f"{name} {value!r} {why}" for name, value in zip(self.args, argv)
                    if (why := CHECKS.get(name, lambda _v: "")(value))]
        return problems

    def translate(self, argv: Sequence[str], env: dict[str, str]) -> dict:
        values = dict(zip(self.args, argv))
        config = env.get("CONFIG") or values.get("CFG") or self.config
        opts = [word for key, value in self.opts for word in (key, value.format(**values))]
        return {"config": config, "dataset": values["DATASET"], "opts": opts,
                "seeds": values.get("SEED", ""), "shots": values.get("SHOTS") or (env.get("SHOTS") or self.shots)}


_COOP = "KaiyangZhou/CoOp @ ff61507"
_MAPLE = "muzairkhattak/multimodal-prompt-learning @ 69bce21"
_KGCOOP = "htyao89/KgCoOp @ c43ccc3"

#: (method, protocol) -> the publisher's form
FORMS: dict[tuple[str, str], Form] = {
    ("CoOp", "fewshot"): Form(
        ("DATASET", "CFG", "CTP", "NCTX", "SHOTS", "CSC"), f"{_COOP} scripts/coop/main.sh",
        opts=(("TRAINER.COOP.CLASS_TOKEN_POSITION", "{CTP}"), ("TRAINER.COOP.N_CTX", "{NCTX}"),
              ("TRAINER.COOP.CSC", "{CSC}"))),
    # CoCoOp's base-to-new script names CoOp's config for TRAINER=CoOp in a comment
    ("CoOp", "base2new"): Form(("DATASET", "SEED"), f"{_COOP} scripts/cocoop/base2new_train.sh (TRAINER=CoOp)",
                               config="vit_b16_ctxv1", shots="16"),
    ("CoCoOp", "base2new"): Form(("DATASET", "SEED"), f"{_COOP} scripts/cocoop/base2new_train.sh",
                                 config="vit_b16_c4_ep10_batch1_ctxv1", shots="16"),
    ("MaPLe", "base2new"): Form(("DATASET", "SEED"), f"{_MAPLE} scripts/maple/base2new_train_maple.sh",
                                config="vit_b16_c2_ep5_batch4_2ctx", shots="16"),
    ("MaPLe", "crossmodal"): Form(("DATASET", "SEED"), f"{_MAPLE} scripts/maple/xd_train_maple.sh",
                                  config="vit_b16_c2_ep5_batch4_2ctx_cross_datasets", shots="16"),
    ("KgCoOp", "base2new"): Form(
        ("DATASET", "WEIGHT"), f"{_KGCOOP} KgCoOp/scripts/base2new_train.sh", config="vit_b16_ep100_ctxv1",
        shots="16", opts=(("TRAINER.KGCOOP.N_CTX", "4"), ("TRAINER.KGCOOP.CSC", "False"),
                          ("TRAINER.KGCOOP.CLASS_TOKEN_POSITION", "end"), ("TRAINER.KGCOOP.LAMBDA", "{WEIGHT}"))),
}


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def is_own_form(argv: Sequence[str]) -> bool:
    """`CONFIG DATASET [KEY VALUE ...]`: a name, a dataset name (never a number), then dotted keys."""
    return len(argv) >= 2 and len(argv) % 2 == 0 and not _is_number(argv[1]) and \
        all("." in key for key in argv[2::2])


def usage(script: str, method: str, protocol: str) -> str:
    lines = [f"usage: {script} CONFIG DATASET [KEY VALUE ...]"]
    form = FORMS.get((method, protocol))
    if form:
        fixed = ", ".join(filter(None, (f"config {form.config}" if form.config else "",
                                        f"{form.shots} shots" if form.shots else "",
                                        *(f"{k} {v}" for k, v in form.opts if "{" not in v))))
        lines.append(f"       {script} {' '.join(form.args)}")
        lines.append(f"  the second form is the positional one of {form.source}" + (f" (it fixes {fixed})" if fixed else ""))
    lines.append(f"{method} under the {protocol} protocol (scripts/{protocol}.sh). Environment: DATA (the datasets' "
                 "folder, required), OUTPUT, SEEDS, SHOTS, TARGETS, DRY_RUN=1 (print the train.py commands), "
                 "SWEEP_ARGS" + (", CONFIG (instead of the config the second form fixes)" if form and form.config else ""))
    return "\n".join(lines)


def shell(method: str, protocol: str, argv: Sequence[str], env: dict[str, str]) -> str:
    """The shell code that turns `argv` into this project's form; ValueError(message) when it is neither."""
    if is_own_form(argv):
        return "set -- " + shlex.join(argv)
    form = FORMS.get((method, protocol))
    if form is None or len(argv) != len(form.args):
        raise ValueError("")
    problems = form.errors(argv)
    if problems:
        raise ValueError("; ".join(problems))
    t = form.translate(argv, env)
    code = [f"set -- {shlex.join([t['config'], t['dataset'], *t['opts']])}"]
    code += [f"export SEEDS={shlex.quote(t['seeds'])}"] if t["seeds"] else []
    code += [f"export SHOTS={shlex.quote(t['shots'])}"] if t["shots"] else []
    return "\n".join(code)


def main(argv: Sequence[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m medprompt.sweep.script_forms METHOD PROTOCOL ARG ...", file=sys.stderr)
        return USAGE_STATUS
    method, protocol, rest = argv[0], argv[1], list(argv[2:])
    script = os.environ.get("SCRIPT") or f"scripts/{method}/{protocol}.sh"
    if rest and rest[0] in ("-h", "--help"):
        print(usage(script, method, protocol))
        return 0
    try:
        print(shell(method, protocol, rest, dict(os.environ)))
    except ValueError as err:
        reason = f"{script}: error: {err}\n" if str(err) else ""
        print(f"{reason}{usage(script, method, protocol)}", file=sys.stderr)
        return USAGE_STATUS
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
