"""The scrubber on its own: formats, names, URLs, false positives, robustness."""

from __future__ import annotations

import re

import click
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from velocity.core.cli import run
from velocity.core.errors import VelocityError
from velocity.core.log import Scrubber
from velocity.core.log import scrub_text
from velocity.core.log import scrub_value

GHP = "ghp_" + "aB3" * 12
PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACDx3x3x3x3x3x3x3x3x3x3x3x3x3x3x3x3x3x3x3x3x3wAAAJgAAAAAAAAA\n"
    "-----END OPENSSH PRIVATE KEY-----"
)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (GHP, "github-token"),
        ("github_pat_11ABCDEFG0123456789abc_" + "x" * 59, "github-token"),
        ("AKIAIOSFODNN7EXAMPLE", "aws-key-id"),
        ("ASIAY34FZKBOKMUTVV7A", "aws-key-id"),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws-secret-key"),
        ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "slack-token"),
        ("xapp-1-A0123456789-1234567890123-" + "ab12" * 16, "slack-token"),
        (
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "slack-webhook",
        ),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "jwt",
        ),
        ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
        ("rk_test_" + "4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
        ("AIzaSyD-1234567890abcdefghijklmnopqrstu", "google-api-key"),
        ("glpat-xxxxxxxxxxxxxxxxxxxx", "gitlab-token"),
        ("npm_" + "a1B2" * 9, "npm-token"),
        ("pypi-AgEIcHlwaS5vcmcCJGE" + "x9" * 40, "pypi-token"),
        ("sk-proj-" + "Ab1" * 16, "openai-key"),
        ("hf_" + "aB" * 17, "huggingface-token"),
        ("dckr_pat_" + "a1b2c3d4" * 3, "docker-token"),
        ("hvs." + "CAESI" * 6, "vault-token"),
        (PEM, "private-key"),
    ],
)
def test_typed_formats_are_redacted_with_their_kind(text, kind):
    assert scrub_text(f"using {text} now") == f"using [REDACTED:{kind}] now"


@pytest.mark.parametrize(
    "label",
    [
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "PGP PRIVATE KEY BLOCK",
    ],
)
def test_pem_private_keys_of_every_label(label):
    body = (
        "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,AB12\n\n"
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7"
    )
    text = f"key:\n-----BEGIN {label}-----\n{body}\n-----END {label}-----\ndone"
    assert scrub_text(text) == "key:\n[REDACTED:private-key]\ndone"


def test_pem_escaped_in_json_and_truncated():
    escaped = PEM.replace("\n", "\\n")
    assert scrub_text(f'{{"k": "{escaped}"}}') == '{"k": "[REDACTED:private-key]"}'
    cut = PEM.split("-----END")[0]
    assert "b3BlbnNz" not in scrub_text(cut + " ...")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password=hunter2", "password=[REDACTED]"),
        ("password=aaaa user=bob", "password=[REDACTED] user=bob"),
        ("PASSWORD: x", "PASSWORD: [REDACTED]"),
        ('{"api_key": "abc def", "user": "bob"}', '{"api_key": "[REDACTED]", "user": "bob"}'),
        ("{'client_secret': 'p\\'q', 'n': 1}", "{'client_secret': '[REDACTED]', 'n': 1}"),
        ("DB_PASSWD = 's3cr3t'", "DB_PASSWD = '[REDACTED]'"),
        ("apikey=1 api-key=2 ApiKey=3", "apikey=[REDACTED] api-key=[REDACTED] ApiKey=[REDACTED]"),
        ("aws_secret_access_key=abc", "aws_secret_access_key=[REDACTED]"),
        ("access_key: a, private_key: b", "access_key: [REDACTED], private_key: [REDACTED]"),
        ("credentials=x auth=y", "credentials=[REDACTED] auth=[REDACTED]"),
        ("token => x", "token => [REDACTED]"),
        ("token: Bearer abc123", "token: [REDACTED]"),
        ('password="unterminated', 'password="[REDACTED]'),
        ('cfg \\"password\\": \\"x\\"', 'cfg \\"password\\": \\"[REDACTED]\\"'),
    ],
)
def test_secret_named_values_are_redacted_whatever_their_entropy(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def", "Authorization: Bearer [REDACTED]"),
        ("Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Authorization: Basic [REDACTED]"),
        ("authorization: token abc", "authorization: token [REDACTED]"),
        ("Authorization: Custom abc def", "Authorization: [REDACTED]"),
        ("Authorization: abc123", "Authorization: [REDACTED]"),
        (
            "{'Authorization': 'Bearer x', 'Accept': 'json'}",
            "{'Authorization': 'Bearer [REDACTED]', 'Accept': 'json'}",
        ),
        ("Cookie: a=b; c=d", "Cookie: [REDACTED]"),
        ("sent Bearer 0123456789abcdefXYZ to api", "sent Bearer [REDACTED] to api"),
    ],
)
def test_authorization_headers(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:pass@host/x", "https://user:[REDACTED]@host/x"),
        ("postgres://app:p%40ss@db:5432/app", "postgres://app:[REDACTED]@db:5432/app"),
        (
            "https://x-access-token:abc@github.com/o/r",
            "https://x-access-token:[REDACTED]@github.com/o/r",
        ),
        (
            "https://0123456789abcdef0123456789abcdef01234567@github.com",
            "https://[REDACTED]@github.com",
        ),
        ("ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"),
        ("https://h/p?access_token=abc&page=2", "https://h/p?access_token=[REDACTED]&page=2"),
        ("https://h/p?a=1&sig=abc%2Bd&se=2030", "https://h/p?a=1&sig=[REDACTED]&se=2030"),
        ("https://h/p?key=abc", "https://h/p?key=[REDACTED]"),
        (
            "https://h/p?X-Amz-Signature=abc&X-Amz-Credential=AK%2F1",
            "https://h/p?X-Amz-Signature=[REDACTED]&X-Amz-Credential=[REDACTED]",
        ),
        ("https://h/cb#id_token=abc&state=1", "https://h/cb#id_token=[REDACTED]&state=1"),
        ("https://h/p?password=x&token=y", "https://h/p?password=[REDACTED]&token=[REDACTED]"),
    ],
)
def test_urls(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "build 1842 finished in 12.5s: 340 passed, 2 skipped",
        "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 merged into main",
        "request id 123e4567-e89b-12d3-a456-426614174000",
        "author: Alice <alice@example.com>",
        "oauth provider github is enabled",
        "password reset email sent to bob@example.com",
        "the token bucket refills every 5 seconds",
        "Bearer authentication is required",
        "sk-learn-compatible-estimators are supported",
        "https://github.com/org/repo/pull/12?page=2#discussion",
        "ssh://git@github.com/org/repo.git",
        "src/velocity/core/log/scrub.py:42: in scrub_text",
        "velocity 0.1.0 on Python 3.11.9 (linux, x86_64)",
        "2026-11-26T13:45:54.984956Z retry=3 backoff=0.5 host=db1.internal",
        "keyboard interrupt received; monkey=patched",
        "KeyError: 'user'",
        "",
    ],
)
def test_ordinary_text_survives(text):
    assert scrub_text(text) == text


SAMPLES = [
    f"token={GHP}",
    f"https://u:{GHP}@h?sig=x&key=y",
    f"Authorization: Bearer {GHP}\nnext",
    PEM + "\npassword: " + PEM,
    '{"password": "a\\"b", "k": "AKIAIOSFODNN7EXAMPLE"}',
    "xoxb-1234567890-abcdefghij password=[REDACTED] Authorization: [REDACTED]",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_idempotent(text):
    once = scrub_text(text)
    assert scrub_text(once) == once
    assert GHP not in once


FRAGMENTS = st.sampled_from(
    [
        "password",
        "=",
        ": ",
        '"',
        "'",
        "\\",
        "\n",
        "://",
        "@",
        "?",
        "&",
        "#",
        "token",
        "Bearer ",
        "Authorization",
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----",
        "eyJ",
        ".",
        "ghp_",
        "AKIA",
        "xoxb-",
        "a" * 40,
        "Ab1/" * 10,
        "sk-",
        "glpat-",
        " ",
        "%",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.text() | st.lists(FRAGMENTS | st.text(max_size=8), max_size=60).map("".join))
def test_random_text_terminates_never_raises_and_is_idempotent(text):
    once = scrub_text(text)
    assert isinstance(once, str)
    assert scrub_text(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,
        "password=" * 100_000,
        "-----BEGIN RSA PRIVATE KEY-----!" * 30_000,
        "https://" + "u" * 500_000 + ":" + "p" * 500_000,
        "eyJ" + "a." * 300_000,
        ('"' + "\\" * 3) * 100_000,
        "Bearer " + "1" * 1_000_000,
    ],
    ids=["letters", "keys", "pem-headers", "userinfo", "dots", "quotes", "bearer"],
)
def test_huge_pathological_strings_finish(text):
    assert isinstance(scrub_text(text), str)


def test_scrub_value_walks_nested_structures_without_mutating_them():
    value = {
        "user": "bob",
        "password": "aaaa",
        "nested": [b"token=abc", ("x", {"api-key": 5, "n": None}), {GHP}, frozenset(["ok"])],
        "Credentials": {"user": "u", "key": "k"},
        "blob": bytearray(b"\xff" + GHP.encode()),
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "secret": None,
        "token_set": True,
    }
    snapshot = repr(value)
    assert scrub_value(value) == {
        "user": "bob",
        "password": "[REDACTED]",
        "nested": [
            "token=[REDACTED]",
            ("x", {"api-key": "[REDACTED]", "n": None}),
            {"[REDACTED:github-token]"},
            frozenset(["ok"]),
        ],
        "Credentials": "[REDACTED]",
        "blob": "\ufffd[REDACTED:github-token]",
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "secret": None,
        "token_set": True,
    }
    assert repr(value) == snapshot


def test_scrub_value_on_objects_cycles_and_keys():
    class Conn:
        def __repr__(self) -> str:
            return f"Conn(dsn='postgres://app:hunter2@db/app', token={GHP!r})"

    harmless = object()
    cyclic: list[object] = ["x"]
    cyclic.append(cyclic)
    assert scrub_value(Conn()) == "Conn(dsn='postgres://app:[REDACTED]@db/app', token='[REDACTED]')"
    assert scrub_value(harmless) is harmless
    assert isinstance(scrub_value(cyclic), list)
    assert scrub_value({GHP: 1, 2: "b"}) == {"[REDACTED:github-token]": 1, 2: "b"}
    assert scrub_value(GHP.encode()) == "[REDACTED:github-token]"


def test_scrubber_is_a_processor_with_extra_patterns_and_keys():
    scrubber = Scrubber(
        extra_patterns=[r"ACME-[0-9]{6}", re.compile("internal-[a-z]{4}")], extra_keys=["pin"]
    )
    record = object()
    event = {
        "event": "code ACME-123456 internal-abcd",
        "user_pin": 1234,
        "_record": record,
        "pin_count": None,
    }
    out = scrubber(None, "info", event)
    assert out == {
        "event": "code [REDACTED] [REDACTED]",
        "user_pin": "[REDACTED]",
        "_record": record,
        "pin_count": None,
    }
    assert scrubber.is_sensitive_key("X-Api-Key")
    assert not scrubber.is_sensitive_key("author")
    assert Scrubber().scrub_text("code ACME-123456") == "code ACME-123456"


def test_cli_errors_are_scrubbed(capsys):
    @click.command()
    def cmd() -> None:
        raise VelocityError(f"push to https://bot:{GHP}@github.com/o/r failed")

    assert run(cmd, [], "demo") == 2
    err = capsys.readouterr().err
    assert GHP not in err
    assert "https://bot:[REDACTED]@github.com/o/r" in err
