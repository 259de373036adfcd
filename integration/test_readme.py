"""The README's examples, run as written against script/test's server.

Every `curl` command of the README's first code block after "Then open" is run from the
repository root with the README's address replaced by the test server's; the PNG example
must write a PNG, the JSON one print the explanation document.
"""
import json
import pathlib
import re
import shlex
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
README_URL = "http://127.0.0.1:8080"


def readme_curl_commands():
    """The README's curl examples, each as one command line (backslash continuations joined)."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"Then open .*?```sh\n(.*?)```", text, re.S).group(1)
    lines = block.replace("\\\n", " ").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.startswith("curl ")]


def test_the_readme_curl_examples_answer_a_png_and_a_json_document(base_url, tmp_path):
    commands = readme_curl_commands()
    assert len(commands) == 2, commands
    outputs = []
    for command in commands:
        argv = [arg.replace(README_URL, base_url) for arg in shlex.split(command)]
        argv = [str(tmp_path / arg) if previous == "-o" else arg for previous, arg in zip([None] + argv, argv)]
        result = subprocess.run(["curl", "-sS", "--fail-with-body", *argv[1:]], cwd=ROOT, capture_output=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()
        outputs.append(result.stdout)
    assert (tmp_path / "overlay.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    document = json.loads(outputs[1])
    assert [e["label"] for e in document["explanations"]] == ["circle", "star"]
