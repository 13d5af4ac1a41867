"""LLM-written class descriptions: question sets, answer cleaning, a retrying chat client, resumable runs.

The descriptions feed text-only prompt learning (MedPromptCLIP), visual-symptom prompts (ViP) and
description zero-shot (CuPL, DCLIP, attribute prompts). Everything here talks to a chat-completions
server through the `openai` client (OpenAI itself or any compatible server) and never imports Dassl.
`generate_descriptions.py` at the repository root is the command-line front end.
"""

from medprompt.llm.client import ChatAsker, ChatSettings, GenerationError, RetryPolicy, make_client, server_host
from medprompt.llm.generate import RunSummary, generate
from medprompt.llm.parsing import ParsedAnswer, parse_answer
from medprompt.llm.questions import QuestionSet, available_question_sets, load_question_set

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
