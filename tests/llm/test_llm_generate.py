"""Whole runs through the real openai client and a local HTTP server: output and provenance, dropped
answers, resume after a failing server, a killed process or an injected exception, and the API key
kept out of every file and log."""

from __future__ import annotations

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

import generate_descriptions
from medprompt.llm.client import (
    ChatAsker,
    ChatSettings,
    GenerationError,
    RetryPolicy,
    make_client,
)
from medprompt.llm.fake_server import FakeChatServer
from medprompt.llm.generate import WRITTEN_BY, generate
from medprompt.llm.questions import load_question_set
from medprompt.llm.store import provenance_path
from medprompt.utils.paths import REPO

KEY = "sk-test-0a1b2c3d4e5f-must-not-leak"
CLASSES = ["Normal_lung", "Viral_pneumonia", "Lung_Opacity", "COVID"]
READABLE = ["normal lung", "viral pneumonia", "lung opacity", "covid"]
MODALITY = "chest X-ray"


def class_of(user: str) -> str:
    """Which class a question is about."""
    return next(c for c, r in zip(CLASSES, READABLE) if re.search(rf"\b{r}\b", user))


def canned(user: str, body: dict) -> str:
    """Per answer: a reasoning trace, a preamble, two distinct findings, one duplicate, one refusal line."""
    tag = f"{zlib.crc32(user.encode()):08x}-{body['choice']}"
    return (
        f"<think>The user asks about {class_of(user)}.</think>\n"
        "Here are the findings:\n"
        f"- Finding {tag} one, a bright patch.\n"
        f"- Finding {tag} two, a dark rim.\n"
        f"- finding {tag} ONE, a bright patch\n"
        "- I'm sorry, I cannot give medical advice."
    )


pytestmark = pytest.mark.usefixtures("no_proxy")  # requests to the local test server go direct


@pytest.fixture
def server():
    with FakeChatServer(answer=canned) as s:
        yield s


def make_asker(server, n=1, attempts=3):
    settings = ChatSettings(model="fake-model", api_key=KEY, base_url=server.base_url, n=n, temperature=0.5,
                            timeout=0.3)
    return ChatAsker(make_client(settings), settings, RetryPolicy(attempts, 0.001, 0.01), sleep=lambda s: None)


def run(server, out, qset="medpromptclip", classes=CLASSES, **kw):
    return generate(classes, MODALITY, load_question_set(qset), make_asker(server), out, server=server.host, **kw)


def load(path):
    return json.loads(Path(path).read_text())


def test_a_run_writes_every_class_and_its_provenance(server, tmp_path):
    out = tmp_path / "COVID_19.json"
    qset = load_question_set("medpromptclip")
    summary = run(server, out)
    assert summary.complete and summary.written == CLASSES
    data = load(out)
    assert list(data) == CLASSES  # the prompt names, in label order
    per_q = len(qset.questions[""])
    for cls in CLASSES:
        assert len(data[cls]) == 2 * per_q  # two distinct findings per answer, duplicate and refusal gone
        assert len({s.lower() for s in data[cls]}) == len(data[cls])
        assert not any("think" in s or "sorry" in s.lower() or "Here are" in s for s in data[cls])
    # every request carried the set's system text and a question about one class and the modality
    assert len(server.requests) == per_q * len(CLASSES)
    for request in server.requests:
        system, user = request["body"]["messages"]
        assert system == {"role": "system", "content": qset.system}
        assert MODALITY in user["content"]
    prov = load(provenance_path(out))
    assert out.with_name("COVID_19.provenance.json") == provenance_path(out)
    assert prov["written_by"] == WRITTEN_BY and prov["model"] == "fake-model"
    assert prov["server"] == server.host and prov["question_set"] == "medpromptclip"
    assert prov["system"] == qset.system and prov["questions"] == qset.question_list()
    assert prov["temperature"] == 0.5 and prov["n"] == 1
    assert prov["date"] == datetime.date.today().isoformat()
    assert list(prov["counts"]) == CLASSES
    for cls in CLASSES:  # per answer: a trace, a duplicate and a refusal dropped
        assert prov["counts"][cls] == {"kept": len(data[cls]), "dropped": 3 * per_q}
    assert summary.dropped_by_reason == {"reasoning": 4 * per_q, "duplicate": 4 * per_q, "refusal": 4 * per_q}
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"


def test_classes_whose_answers_are_all_refusals_are_not_saved_and_are_retried(server, tmp_path):
    out = tmp_path / "x.json"
    refusal = ("text", "I'm sorry, but I can't help with that.")
    server.rule = lambda body: refusal if class_of(body["messages"][1]["content"]) == "COVID" else None
    summary = run(server, out)
    assert list(summary.incomplete) == ["COVID"] and "refusal" in summary.incomplete["COVID"]
    assert list(load(out)) == CLASSES[:3] and "COVID" not in load(provenance_path(out))["counts"]
    server.rule, server.requests[:] = None, []
    assert run(server, out).written == ["COVID"]
    assert {class_of(u) for u in server.user_texts()} == {"COVID"}
    assert list(load(out)) == CLASSES


def test_a_hard_failing_server_loses_no_finished_class_and_the_run_resumes(server, tmp_path):
    out = tmp_path / "COVID_19.json"
    server.rule = lambda body: ("status", 500) if class_of(body["messages"][1]["content"]) == CLASSES[2] else None
    with pytest.raises(GenerationError, match=r"class 3/4 'Lung_Opacity'.*gave up after 3.*run the same command"):
        run(server, out)
    first = load(out)
    assert list(first) == CLASSES[:2] and list(load(provenance_path(out))["counts"]) == CLASSES[:2]
    server.rule, server.requests[:] = None, []
    summary = run(server, out)
    assert summary.skipped == CLASSES[:2] and summary.written == CLASSES[2:]
    assert {class_of(u) for u in server.user_texts()} == set(CLASSES[2:])  # finished classes not asked again
    final = load(out)
    assert list(final) == CLASSES and all(final[c] == first[c] for c in CLASSES[:2])
    assert list(load(provenance_path(out))["counts"]) == CLASSES


def test_an_exception_while_writing_keeps_the_previous_file_whole(server, tmp_path, monkeypatch):
    out = tmp_path / "COVID_19.json"
    real_replace, calls = os.replace, []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 6:  # class 3: provenance written, description file not yet
            raise OSError("disk full (injected)")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="injected"):
        run(server, out)
    monkeypatch.setattr(os, "replace", real_replace)
    assert list(load(out)) == CLASSES[:2]
    assert not list(tmp_path.glob(".*.tmp"))
    run(server, out)
    assert list(load(out)) == CLASSES
    assert list(load(provenance_path(out))["counts"]) == CLASSES


def test_resume_refuses_a_file_made_with_other_settings(server, tmp_path):
    out = tmp_path / "x.json"
    run(server, out, classes=CLASSES[:1])
    with pytest.raises(GenerationError, match="question_set, system, questions differ"):
        run(server, out, qset="cupl", classes=CLASSES[:2])
    provenance_path(out).unlink()
    with pytest.raises(GenerationError, match="x.provenance.json does not"):
        run(server, out, classes=CLASSES[:2])
    assert run(server, out, classes=CLASSES[:2], overwrite=True).written == CLASSES[:2]


def test_resume_matches_keys_after_normalising(server, tmp_path):
    out = tmp_path / "x.json"
    run(server, out, classes=["normal lung"])
    server.requests[:] = []
    summary = run(server, out, classes=["Normal_lung", "COVID"])
    assert summary.skipped == ["Normal_lung"] and list(load(out)) == ["normal lung", "COVID"]


def test_attribute_set_writes_one_list_per_attribute(server, tmp_path):
    out = tmp_path / "attributes.json"
    server.answer = lambda user, body: f"- {user.split()[1]} {zlib.crc32(user.encode()) % 997}\n- plain words"
    assert run(server, out, qset="attributes", classes=CLASSES[:2]).complete
    data = load(out)
    assert list(data) == CLASSES[:2]
    for cls in CLASSES[:2]:
        assert set(data[cls]) == {"color", "shape", "texture", "location"}
        assert all(len(v) == 2 for v in data[cls].values())


def test_attribute_class_with_an_empty_attribute_is_not_saved(server, tmp_path):
    out = tmp_path / "attributes.json"
    server.rule = lambda body: ("text", "") if "texture" in body["messages"][1]["content"] else None
    summary = run(server, out, qset="attributes", classes=CLASSES[:1])
    assert "texture" in summary.incomplete[CLASSES[0]] and not out.exists()


def test_vip_answers_naming_the_class_are_dropped(server, tmp_path):
    out = tmp_path / "symptoms.json"
    server.answer = lambda user, body: "- patchy white shadows\n- viral pneumonia seen as haze\n- blurred edges"
    run(server, out, qset="vip_symptoms", classes=["Viral_pneumonia"])
    assert load(out) == {"Viral_pneumonia": ["patchy white shadows", "blurred edges"]}
    assert load(provenance_path(out))["counts"]["Viral_pneumonia"] == {"kept": 2, "dropped": 1}


def test_multimodal_set_asks_each_class_on_every_modality(server, tmp_path):
    out = tmp_path / "multimodal_eye.json"
    qset = load_question_set("multimodal_eye")
    generate(CLASSES[:1], None, qset, make_asker(server), out)
    users = server.user_texts()
    assert len(users) == 5 * len(qset.questions[""])
    assert all(sum(m in u for u in users) == len(qset.questions[""]) for m in qset.modalities)


# --- the command line --------------------------------------------------------------------------------


def cli_args(server, out, *extra):
    return ["--classes", ",".join(CLASSES), "--modality", MODALITY, "--output", str(out),
            "--base-url", server.base_url, "--model", "fake-model", "--timeout", "0.5",
            "--backoff", "0.001", "--max-backoff", "0.01", "--max-attempts", "3", *extra]


def test_cli_writes_the_file_and_never_shows_the_key(server, tmp_path, monkeypatch, capsys, caplog):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    # the server echoes the key in its errors, as some providers do
    server.script = [("status", 429, f"rate limited for key {KEY}"), ("status", 401, f"bad key {KEY}")]
    out = tmp_path / "llm" / "COVID_19.json"
    assert generate_descriptions.main(cli_args(server, out)) == 2  # the 401 (a refused key: a user mistake) is not retried
    assert generate_descriptions.main(cli_args(server, out)) == 0  # resumes and finishes
    assert list(load(out)) == CLASSES
    assert all(r["headers"]["authorization"] == f"Bearer {KEY}" for r in server.requests)
    captured = capsys.readouterr()
    logs = captured.out + captured.err + caplog.text
    assert "RateLimitError" in logs and "AuthenticationError" in logs and "***" in logs
    assert KEY not in logs
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY not in path.read_text(), path


def test_cli_flags_and_environment(server, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("MEDPROMPT_LLM_MODEL", "env-model")
    monkeypatch.setenv("MEDPROMPT_LLM_N", "2")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    code = generate_descriptions.main(["--classes", "Normal_lung", "--modality", MODALITY, "--name", "Tiny",
                                       "--output-dir", str(tmp_path), "--question-set", "vip_symptoms",
                                       "--temperature", "0.2"])
    assert code == 0
    out = tmp_path / "symptoms" / "Tiny.json"  # the set's output sub-folder
    prov = load(provenance_path(out))
    assert (prov["model"], prov["n"], prov["temperature"], prov["server"]) == ("env-model", 2, 0.2, server.host)
    assert {r["body"]["model"] for r in server.requests} == {"env-model"}
    assert {r["body"]["n"] for r in server.requests} == {2}


def test_cli_print_prompts_sends_nothing(server, tmp_path, capsys):
    assert generate_descriptions.main(cli_args(server, tmp_path / "x.json", "--print-prompts")) == 0
    printed = capsys.readouterr().out
    assert server.requests == [] and printed.count("user: ") == 8 and "normal lung" in printed
    assert load_question_set("medpromptclip").system in printed


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--classes", "a"], "needs --modality"),
        (["--modality", "x"], "nothing to describe"),
        (["--classes", "a", "--modality", "x"], "give --name"),
        (["--classes", "a,A", "--modality", "x", "--name", "n", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"],
         "same after normalising"),
        (["--classes", "a", "--modality", "x", "--name", "n", "--base-url", "http://127.0.0.1:9/v1"], "no model"),
        (["--classes", "a", "--modality", "x", "--name", "n", "--model", "m"], "no API key"),
    ],
)
def test_cli_bad_input_gives_one_clear_error(tmp_path, monkeypatch, caplog, argv, message):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MEDPROMPT_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    assert generate_descriptions.main([*argv, "--output-dir", str(tmp_path)]) == 2  # a user mistake, as for every entry point
    assert message in caplog.text


def test_cli_takes_classes_and_modality_from_the_dataset_table(tmp_path):
    specs = pytest.importorskip("medprompt.data.specs", reason="medprompt.data.specs is not written yet")
    spec = specs.get_spec("FFA")
    with FakeChatServer(answer=lambda user, body: f"- {user}") as server:
        args = ["--dataset", "FFA", "--output-dir", str(tmp_path), "--base-url", server.base_url, "--model", "m",
                "--api-key", KEY, "--question-set", "dclip", "--backoff", "0.001", "--max-attempts", "2"]
        assert generate_descriptions.main(args) == 0
        users = server.user_texts()
    assert list(load(tmp_path / "dclip" / "FFA.json")) == list(spec.classnames)
    assert len(users) == len(spec.classnames) and all(spec.modality in u for u in users)


def test_a_killed_process_resumes_without_losing_a_class(tmp_path):
    hang = {"on": True}

    def rule(body):  # the third class hangs until the process is killed
        return ("sleep", 5) if hang["on"] and class_of(body["messages"][1]["content"]) == CLASSES[2] else None

    out = tmp_path / "COVID_19.json"
    with FakeChatServer(answer=canned, rule=rule) as server:
        env = {**os.environ, "OPENAI_API_KEY": KEY, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1"}
        proc = subprocess.Popen([sys.executable, str(REPO / "generate_descriptions.py"),
                                 *cli_args(server, out), "--timeout", "30"],
                                cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 30
            while time.time() < deadline and not (out.exists() and len(load(out)) == 2):
                time.sleep(0.05)
            while time.time() < deadline and not any(CLASSES[2] in str(r["body"]) or READABLE[2] in str(r["body"])
                                                     for r in server.requests):
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGKILL)
            output = proc.communicate(timeout=10)[0].decode()
        assert proc.returncode == -signal.SIGKILL
        assert KEY not in output
        assert list(load(out)) == CLASSES[:2]
        first = load(out)
        hang["on"], server.requests[:] = False, []
        assert generate_descriptions.main(cli_args(server, out, "--api-key", KEY)) == 0
        assert {class_of(u) for u in server.user_texts()} == set(CLASSES[2:])
    final = load(out)
    assert list(final) == CLASSES and all(final[c] == first[c] for c in CLASSES[:2])
