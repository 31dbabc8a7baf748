"""A generated corpus: every secret format in every context, through the real pipeline.

Each case logs one freshly generated secret into a stream through the configured
structlog + stdlib pipeline, then reads back what the sink received. With the
scrubber on, no piece of the secret may appear; in the control run (scrubber
off) every piece must appear, which proves each case is able to fail.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest
import structlog

from velocity.core.log import configure
from velocity.core.log import get_logger

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"
WINDOW = 8


@dataclass(frozen=True)
class Secret:
    value: str
    pieces: tuple[str, ...]  # the secret parts: none may survive, each must show in the control
    key: str | None = None  # for secrets only their name gives away; None: self-identifying
    single_line: bool = True
    url: bool = False


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _typed(prefix: str, body: str) -> Secret:
    return Secret(prefix + body, (body,))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def gen_jwt(rng: random.Random) -> Secret:
    header = {
        "alg": rng.choice(["HS256", "RS256", "ES384"]),
        "typ": "JWT",
        "kid": _rand(rng, ALNUM, 8),
    }
    payload = {
        "sub": _rand(rng, ALNUM, 12),
        "iat": rng.randrange(10**9, 2 * 10**9),
        "scope": "repo",
    }
    body = _b64url(json.dumps(payload).encode()) + "." + _b64url(rng.randbytes(32))
    return Secret(_b64url(json.dumps(header).encode()) + "." + body, (body,))


def _pem(label: str, headers: str = "") -> Callable[[random.Random], Secret]:
    def gen(rng: random.Random) -> Secret:
        material = base64.b64encode(rng.randbytes(rng.randrange(600, 1300))).decode()
        lines = tuple(material[i : i + 64] for i in range(0, len(material), 64))
        text = "\n".join(
            (f"-----BEGIN {label}-----", *filter(None, [headers]), *lines, f"-----END {label}-----")
        )
        return Secret(text, lines, single_line=False)

    return gen


def gen_aws_secret(rng: random.Random) -> Secret:
    # Real keys mix cases and digits; force one of each so the sample is realistic.
    body = list(
        _rand(rng, B64, 37) + rng.choice("ABCXYZ") + rng.choice("abcxyz") + rng.choice("0123")
    )
    rng.shuffle(body)
    return Secret("".join(body), ("".join(body),))


def gen_password(rng: random.Random) -> Secret:
    value = _rand(rng, ALNUM + "!$%*+-./:=?@^_~", rng.randrange(10, 24))
    return Secret(
        value, (value,), key=rng.choice(["password", "PASSWORD", "db_password", "passwd"])
    )


def gen_weak_password(rng: random.Random) -> Secret:
    # Low entropy on purpose: a secret-named value is redacted whatever it looks like.
    value = rng.choice(string.ascii_lowercase) * rng.randrange(4, 9)
    return Secret(value, (value,), key=rng.choice(["Password", "db-passwd", "pass_word"]))


def gen_opaque(keys: list[str], alphabet: str, size: int) -> Callable[[random.Random], Secret]:
    def gen(rng: random.Random) -> Secret:
        value = _rand(rng, alphabet, size)
        return Secret(value, (value,), key=rng.choice(keys))

    return gen


GENERATORS: dict[str, Callable[[random.Random], Secret]] = {
    "github-ghp": lambda r: _typed("ghp_", _rand(r, ALNUM, 36)),
    "github-gho": lambda r: _typed("gho_", _rand(r, ALNUM, 36)),
    "github-ghu": lambda r: _typed("ghu_", _rand(r, ALNUM, 36)),
    "github-ghs": lambda r: _typed("ghs_", _rand(r, ALNUM, 36)),
    "github-ghr": lambda r: _typed("ghr_", _rand(r, ALNUM, 36)),
    "github-pat": lambda r: _typed("github_pat_", _rand(r, ALNUM, 22) + "_" + _rand(r, ALNUM, 59)),
    "aws-akia": lambda r: _typed("AKIA", _rand(r, UPPER_ALNUM, 16)),
    "aws-asia": lambda r: _typed("ASIA", _rand(r, UPPER_ALNUM, 16)),
    "aws-secret": gen_aws_secret,
    "slack-xoxb": lambda r: _typed(
        "xoxb-",
        f"{r.randrange(10**11, 10**12)}-{r.randrange(10**12, 10**13)}-{_rand(r, ALNUM, 24)}",
    ),
    "slack-xoxp": lambda r: _typed(
        "xoxp-",
        f"{r.randrange(10**11, 10**12)}-{r.randrange(10**11, 10**12)}-{_rand(r, ALNUM, 32)}",
    ),
    "slack-legacy": lambda r: _typed(r.choice(["xoxa-2-", "xoxr-", "xoxs-"]), _rand(r, ALNUM, 40)),
    "slack-xapp": lambda r: _typed(
        "xapp-1-",
        f"A{_rand(r, UPPER_ALNUM, 10)}-{r.randrange(10**12, 10**13)}-{_rand(r, HEX, 64)}",
    ),
    "slack-webhook": lambda r: Secret(
        "https://hooks.slack.com/services/"
        + (
            body
            := f"T{_rand(r, UPPER_ALNUM, 8)}/B{_rand(r, UPPER_ALNUM, 10)}/{_rand(r, ALNUM, 24)}"
        ),
        (body,),
        url=True,
    ),
    "jwt": gen_jwt,
    "pem-rsa": _pem("RSA PRIVATE KEY"),
    "pem-rsa-legacy-encrypted": _pem(
        "RSA PRIVATE KEY", "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,5B01E932988DC66B\n"
    ),
    "pem-openssh": _pem("OPENSSH PRIVATE KEY"),
    "pem-ec": _pem("EC PRIVATE KEY"),
    "pem-pkcs8-encrypted": _pem("ENCRYPTED PRIVATE KEY"),
    "stripe-sk-live": lambda r: _typed("sk_live_", _rand(r, ALNUM, 99)),
    "stripe-other": lambda r: _typed(
        r.choice(["rk_live_", "rk_test_", "sk_test_", "pk_live_"]), _rand(r, ALNUM, 24)
    ),
    "google-api-key": lambda r: _typed("AIza", _rand(r, B64URL, 35)),
    "gitlab-glpat": lambda r: _typed("glpat-", _rand(r, B64URL, 20)),
    "gitlab-other": lambda r: _typed(r.choice(["gldt-", "glrt-", "glptt-"]), _rand(r, B64URL, 20)),
    "npm": lambda r: _typed("npm_", _rand(r, ALNUM, 36)),
    "pypi": lambda r: _typed("pypi-AgEIcHlwaS5vcmc", _rand(r, B64URL, 160)),
    "password": gen_password,
    "weak-password": gen_weak_password,
    "api-key": gen_opaque(["api_key", "apiKey", "X-Api-Key", "API-KEY"], "0123456789abcdef", 32),
    "client-secret": gen_opaque(["client_secret", "clientSecret", "SECRET"], B64URL, 40),
    "opaque-token": gen_opaque(["access_token", "token", "auth", "session-token"], ALNUM, 32),
    "private-key-value": gen_opaque(["private_key", "privateKey", "credentials"], B64, 44),
}


def mention(s: Secret) -> str:
    # How prose carries the secret: a self-identifying token alone, else with its name.
    return s.value if s.key is None else f"{s.key}={s.value}"


def field_name(s: Secret) -> str:
    # Self-identifying tokens sit under a harmless name, to show the value alone is enough.
    return "detail" if s.key is None else s.key


class Client:
    def __init__(self, s: Secret) -> None:
        self.s = s

    def __repr__(self) -> str:
        return f"Client(endpoint='https://api.example.com', {field_name(self.s)}={self.s.value!r})"


def ctx_event_plain(log, s, rng):
    log.info(f"connecting to upstream with {mention(s)} now")


def ctx_event_sentence(log, s, rng):
    log.warning(f"request failed: credential {mention(s)} was rejected by api.example.com (3/5)")


def ctx_structlog_positional(log, s, rng):
    log.info("deploying %s with %s", "web", mention(s))


def ctx_stdlib_percent(log, s, rng):
    logging.getLogger("velocity.worker").info("job %d using %s", 7, mention(s))


def ctx_stdlib_thirdparty(log, s, rng):
    logging.getLogger("paramiko.transport").info("auth with %s", mention(s))


def ctx_stdlib_exception(log, s, rng):
    try:
        raise ConnectionError(f"handshake failed {mention(s)}")
    except ConnectionError:
        logging.getLogger("httpx").exception("request failed")


def ctx_field(log, s, rng):
    log.info("loaded", **{field_name(s): s.value})


def ctx_nested_dict(log, s, rng):
    log.info("config", settings={"db": {"host": "db1", field_name(s): s.value}, "retries": 3})


def ctx_list_field(log, s, rng):
    log.info("spawn", argv=["deploy", "--verbose", ("--with", mention(s))])


def ctx_bytes_field(log, s, rng):
    log.info("payload", body=f"payload {mention(s)}\n".encode())


def ctx_exception_message(log, s, rng):
    try:
        raise ValueError(f"bad credentials {mention(s)}")
    except ValueError:
        log.exception("login failed")


def ctx_chained_traceback(log, s, rng):
    def inner() -> None:
        raise RuntimeError(f"upstream said {mention(s)}")

    try:
        try:
            inner()
        except RuntimeError as exc:
            raise OSError("sync failed") from exc
    except OSError:
        log.error("giving up", exc_info=True)


def ctx_repr_object(log, s, rng):
    log.info("client ready", client=Client(s))


def ctx_json_string(log, s, rng):
    log.info("response " + json.dumps({"ok": True, field_name(s): s.value}))


def ctx_key_value(log, s, rng):
    log.info(f"settings loaded {field_name(s)}={s.value} region=eu-west-1")


def ctx_yaml(log, s, rng):
    log.info(f"config:\n  region: eu-west-1\n  {field_name(s)}: {s.value}\n  retries: 3")


def ctx_url_userinfo(log, s, rng):
    log.info(f"cloning https://deploy:{quote(s.value, safe='')}@git.example.com/org/repo.git")


def ctx_url_query(log, s, rng):
    name = rng.choice(
        ["access_token", "sig", "token", "key", "password", "X-Amz-Signature", "client_secret"]
    )
    log.info(
        "GET",
        url=f"https://api.example.com/v1/items?page=2&{name}={quote(s.value, safe='')}&limit=10",
    )


def ctx_header_line(log, s, rng):
    header = rng.choice(["Authorization", "Proxy-Authorization", "authorization"])
    scheme = rng.choice(["Bearer ", "token ", "Basic ", ""])
    log.info(f"sending request\n{header}: {scheme}{s.value}\nAccept: application/json")


def ctx_header_dict(log, s, rng):
    log.info("http request", headers={"Authorization": f"Bearer {s.value}", "Accept": "*/*"})


# Contexts that quote the value for a URL, and those a multi-line value cannot be in.
URL_QUOTED = {ctx_url_userinfo, ctx_url_query}
SINGLE_LINE_ONLY = {ctx_url_userinfo, ctx_url_query, ctx_header_line, ctx_header_dict}
CONTEXTS = [obj for name, obj in sorted(globals().items()) if name.startswith("ctx_")]


def _applies(gen: str, ctx: Callable[..., None]) -> bool:
    sample = GENERATORS[gen](random.Random(0))
    if ctx in SINGLE_LINE_ONLY and not sample.single_line:
        return False
    return not (ctx is ctx_url_userinfo and sample.url)


CASES = [
    pytest.param(gen, ctx, id=f"{gen}-{ctx.__name__[4:]}")
    for gen in GENERATORS
    for ctx in CONTEXTS
    if _applies(gen, ctx)
]


@pytest.fixture(autouse=True)
def _restore_logging():
    yield
    root = logging.getLogger()
    for handler in root.handlers[:]:
        if type(handler).__module__ == "velocity.core.log.setup":
            root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    structlog.reset_defaults()


def run_case(
    gen: str, ctx: Callable[..., None], *, fmt: str, scrub: bool
) -> tuple[Secret, str, str]:
    rng = random.Random(f"{gen}/{ctx.__name__}")
    secret = GENERATORS[gen](rng)
    stream = io.StringIO()
    configure(stream=stream, fmt=fmt, scrub=scrub, level="INFO")
    ctx(get_logger("velocity.corpus"), secret, rng)
    raw = stream.getvalue()
    assert raw, "nothing reached the sink"
    return secret, raw, _haystack(raw, fmt)


def _haystack(raw: str, fmt: str) -> str:
    # Search the bytes as written and, for JSON, the decoded strings too
    # (JSON escapes newlines, so a multi-line key is whole only once decoded).
    if fmt != "json":
        return raw
    leaves: list[str] = []
    for line in raw.splitlines():
        _strings(json.loads(line), leaves)
    return "\n".join([raw, *leaves])


def _strings(obj: object, out: list[str]) -> None:
    if isinstance(obj, str):
        out.append(obj)
    elif isinstance(obj, dict):
        for v in obj.values():
            _strings(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _strings(v, out)


def _pieces(secret: Secret, ctx: Callable[..., None]) -> list[str]:
    if ctx in URL_QUOTED:
        return [quote(p, safe="") for p in secret.pieces]
    return list(secret.pieces)


@pytest.mark.parametrize("fmt", ["json", "console"])
@pytest.mark.parametrize(("gen", "ctx"), CASES)
def test_secret_never_reaches_the_sink(gen, ctx, fmt):
    secret, raw, haystack = run_case(gen, ctx, fmt=fmt, scrub=True)
    assert secret.value not in haystack, raw
    for piece in _pieces(secret, ctx):
        for i in range(max(1, len(piece) - WINDOW + 1)):
            chunk = piece[i : i + WINDOW]
            assert chunk not in haystack, f"{chunk!r} of the secret leaked:\n{raw}"
    assert "[REDACTED" in raw


@pytest.mark.parametrize("fmt", ["json", "console"])
@pytest.mark.parametrize(("gen", "ctx"), CASES)
def test_control_without_scrubber_every_secret_leaks(gen, ctx, fmt):
    secret, raw, haystack = run_case(gen, ctx, fmt=fmt, scrub=False)
    for piece in _pieces(secret, ctx):
        assert piece in haystack, f"control run lost {piece!r}; the case cannot fail:\n{raw}"
    assert "[REDACTED" not in raw


def test_corpus_is_large_and_covers_every_pair():
    assert len(GENERATORS) >= 25
    assert len(CONTEXTS) >= 15
    assert len(CASES) >= 500
