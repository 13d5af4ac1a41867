"""LLM-written class descriptions: question sets, answer cleaning, a retrying chat client, resumable runs.

The descriptions feed text-only prompt learning (MedPromptCLIP), visual-symptom prompts (ViP) and
description zero-shot (CuPL, DCLIP, attribute prompts). Everything here talks to a chat-completions
server through the `openai` client (OpenAI itself or any compatible server) and never imports Dassl.
`generate_descriptions.py` at the repository root is the command-line front end.
"""

import importlib

# Loaded on first use (PEP 562): the `openai` client takes over a second to import, and a command that
# refuses a mistake in its arguments (generate_descriptions.py) should not wait for it.
_WHERE = {
    "ChatAsker": "client", "ChatSettings": "client", "GenerationError": "client", "RetryPolicy": "client",
    "make_client": "client", "server_host": "client", "RunSummary": "generate", "generate": "generate",
    "ParsedAnswer": "parsing", "parse_answer": "parsing", "QuestionSet": "questions",
    "available_question_sets": "questions", "load_question_set": "questions",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"medprompt.llm.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'medprompt.llm' has no attribute {name!r}")

__all__ = [
    "ChatAsker",
    "ChatSettings",
    "GenerationError",
    "ParsedAnswer",
    "QuestionSet",
    "RetryPolicy",
    "RunSummary",
    "available_question_sets",
    "generate",
    "load_question_set",
    "make_client",
    "parse_answer",
    "server_host",
]
