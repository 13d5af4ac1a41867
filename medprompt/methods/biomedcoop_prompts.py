"""BiomedCoOp's own LLM prompts, read from a user's checkout of its repository (HealthX-Lab/BiomedCoOp).

The publisher keeps its prompts in `trainers/prompt_templates.py`: a module-level dict literal
`BIOMEDCOOP_TEMPLATES = {"<class name>": ["<prompt>", ...], ...}` (50 prompts per class, every dataset's
classes in one dict). The file is parsed, never run: only that literal is read (`ast.literal_eval`). Nothing
of it is copied into this repository; TRAINER.BIOMEDCOOP.PUBLISHED_PROMPTS names the checkout.
"""

from __future__ import annotations

import ast
from pathlib import Path

from medprompt.utils.errors import InputFileError

PROMPT_FILE = Path("trainers") / "prompt_templates.py"
PROMPT_NAME = "BIOMEDCOOP_TEMPLATES"


def prompt_file(checkout: str | Path) -> Path:
    """The prompt file of a BiomedCoOp checkout (or the file itself when given)."""
    path = Path(checkout).expanduser()
    return path if path.is_file() else path / PROMPT_FILE


def read_published_prompts(checkout: str | Path) -> dict[str, list[str]]:
    """{class name: prompts} from a BiomedCoOp checkout; InputFileError naming the file when it is missing or
    holds no `BIOMEDCOOP_TEMPLATES` dict literal of string lists."""
    path = prompt_file(checkout)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except FileNotFoundError:
        raise InputFileError(f"{path} does not exist: give the folder of a BiomedCoOp checkout "
                             f"(it holds {PROMPT_FILE}) or that file") from None
    except (SyntaxError, UnicodeDecodeError) as err:
        raise InputFileError(f"{path} cannot be parsed as Python: {err}") from None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == PROMPT_NAME for t in node.targets):
            try:
                prompts = ast.literal_eval(node.value)
            except ValueError:
                break
            if isinstance(prompts, dict) and all(isinstance(k, str) and isinstance(v, list) and
                                                 all(isinstance(s, str) for s in v) for k, v in prompts.items()):
                return prompts
            break
    raise InputFileError(f"{path} holds no {PROMPT_NAME} = {{class name: [prompt, ...]}} literal")
