"""What a secret looks like: regular expressions grouped in families.

No two adjacent repeats can match the same characters and every repeat that
may fail to match is bounded, so a scan is linear in the text and never
backtracks catastrophically, whatever the input. A value's last repeat is
unbounded on purpose: it cannot fail, and a long value is redacted whole.
Each family names substrings one of which any match must contain, so most
text skips most families.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "AUTH_SCHEMES",
    "FAMILIES",
    "PEM_PRIVATE_KEY",
    "REDACTED",
    "SENSITIVE_KEY",
    "Family",
]

REDACTED = "[REDACTED]"


class Family(NamedTuple):
    # name: the marker's hint for typed formats; triggers: lower-case
    # substrings, one of which any match contains (none: any text at least
    # min_len long may match).
    name: str
    regex: str
    triggers: tuple[str, ...]
    min_len: int = 0


# -----BEGIN [RSA|EC|OPENSSH|ENCRYPTED|...] PRIVATE KEY----- then the key
# material (base64, headers, escaped newlines) up to and including the END
# line. The body cannot run over a "-----", so no END means no backtracking.
PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[A-Za-z0-9+/=\s\\:,.]|-(?!----)){0,262144}"
    r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?"
)

# Names whose value is a secret, whatever it looks like. "auth" only counts as
# a whole word ("auth", "basic_auth", not "author" or "oauth").
_KEY_CORE = (
    r"(?:pass[_-]?w(?:or)?d|passphrase|secret|token|credential|authori[sz]ation|cookie"
    r"|api[_-]?key|(?:access|account|private|signing|encryption|master|shared[_-]?access)[_-]?key"
    r"|(?<![A-Za-z0-9])auth(?![A-Za-z]))"
)
_KEY_TRIGGERS = ("pass", "passphrase", "secret", "token", "credential", "cookie", "key", "auth")
SENSITIVE_KEY = re.compile(_KEY_CORE, re.IGNORECASE)

# HTTP authorization schemes kept in front of a redacted header value.
AUTH_SCHEMES = frozenset(
    ("basic", "bearer", "digest", "token", "bot", "negotiate", "ntlm", "apikey", "sso", "ssws")
)

_SEP = r"(?P<{}>(?:\\?[\"'])?[ \t]{{0,8}}(?:=>|[:=])[ \t]{{0,8}})"
_QUOTED = r"\"(?:[^\"\\\n]|\\.){0,8192}\"|'(?:[^'\\\n]|\\.){0,8192}'"
_ESCAPED_QUOTED = r"\\\"(?:[^\"\\\n]|\\[^\"\n]){0,8192}\\\""
_VALUE = _QUOTED + "|" + _ESCAPED_QUOTED
# An unquoted value ends at white space, a quote, "&", or ", " / "; ".
_BARE = (
    r"[\"']?(?:(?:bearer|basic|digest|token)[ \t]{1,8})?"
    r"(?:[^\s\"'\\&,;]|\\(?!\")|[,;](?!\s))+"
)
_QUERY_KEY = (
    r"[\w.-]{0,40}(?:token|secret|pass[_-]?w(?:or)?d|pwd|credential|signature|authori[sz]ation"
    r"|api[_-]?key|(?:access|private|account)[_-]?key)[\w.-]{0,40}|key|sig|code|auth"
)
_B = r"(?<![A-Za-z0-9])"

# Context: a name or a URL says the value is secret. Names are case-insensitive.
_CONTEXT = (
    # ://user:password@ or ://token@ (the scheme is left alone)
    Family(
        "url",
        r"(?P<scheme>://)(?P<user>[^\s/@:?#\"'<>]{0,256})(?::(?P<pw>[^\s/?#\"'<>]{0,1024}))?@",
        ("://",),
    ),
    Family(
        "query",
        r"(?i:(?<=[?&#])(?P<qkey>" + _QUERY_KEY + r")=[^&#\s\"'<>]+)",
        ("?", "&", "#"),
    ),
    Family(
        "header",
        r"(?i:(?P<hkey>(?<![A-Za-z0-9_])(?:proxy-)?authori[sz]ation|(?<![A-Za-z0-9_])(?:set-)?cookie)"
        + _SEP.format("hsep")
        + r"(?P<hval>"
        + _VALUE
        + r"|[^\r\n]+))",
        ("authori", "cookie"),
    ),
    Family(
        "keyvalue",
        r"(?i:(?P<key>"
        + _KEY_CORE
        + r"[A-Za-z0-9_.-]{0,60})"
        + _SEP.format("sep")
        + r"(?P<val>"
        + _VALUE
        + "|"
        + _BARE
        + "))",
        _KEY_TRIGGERS,
    ),
    # A bare bearer credential; it must hold a digit so "Bearer authentication" is prose.
    Family(
        "bearer",
        r"(?i:(?P<scheme_>\bBearer[ \t]{1,8})(?=[\w.~+/-]{0,4096}\d)[\w.~+/-]{16,}=*)",
        ("bearer",),
    ),
)

# Self-identifying formats, case-sensitive. The name is kept in the marker.
# _B (not inside a word) only where a prefix could end an ordinary identifier.
_TYPED = (
    Family(
        "github-token",
        r"gh[pousr]_[A-Za-z0-9]{36,255}",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    Family("github-token", r"github_pat_[A-Za-z0-9_]{22,255}", ("github_pat_",)),
    Family(
        "aws-key-id",
        _B + r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16,64}",
        ("akia", "asia", "abia", "acca"),
    ),
    Family(
        "slack-webhook",
        r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/-]{8,512}",
        ("hooks.slack.com",),
    ),
    Family("slack-token", r"xox[abeoprs]-[A-Za-z0-9-]{8,255}", ("xox",)),
    Family("slack-token", r"xapp-\d-[A-Za-z0-9-]{8,255}", ("xapp-",)),
    Family("jwt", _B + r"eyJ[\w-]{4,8192}(?:\.[\w-]{0,16384}){2,4}", ("eyj",)),
    Family(
        "stripe-key", _B + r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,247}", ("_live_", "_test_")
    ),
    Family("stripe-key", _B + r"whsec_[A-Za-z0-9]{16,247}", ("whsec_",)),
    Family("google-api-key", r"AIza[\w-]{35}", ("aiza",)),
    Family(
        "gitlab-token",
        r"gl(?:pat|dt|rt|ptt|ft|imt|cbt|soat|ffct|oas|agent)-[\w.-]{20,255}",
        ("gl",),
    ),
    Family("npm-token", r"npm_[A-Za-z0-9]{36,255}", ("npm_",)),
    Family("pypi-token", r"pypi-AgE[\w-]{50,4096}", ("pypi-age",)),
    Family(
        "openai-key",
        _B + r"sk-(?:proj-|svcacct-|admin-|ant-[a-z0-9]{1,10}-)?[A-Za-z0-9]{20}[\w-]{0,235}",
        ("sk-",),
    ),
    Family("huggingface-token", _B + r"hf_[A-Za-z0-9]{30,255}", ("hf_",)),
    Family("docker-token", r"dckr_pat_[\w-]{20,255}", ("dckr_pat_",)),
    Family("vault-token", _B + r"hv[sbr]\.[\w-]{24,255}", ("hvs.", "hvb.", "hvr.")),
    Family("sendgrid-key", _B + r"SG\.[\w-]{16,32}\.[\w-]{16,64}", ("sg.",)),
    # An AWS secret access key has no prefix: 40 base64 characters, mixed case
    # and digits. Git SHAs (lower-case hex) and UUIDs (dashes) do not qualify.
    Family(
        "aws-secret-key",
        r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])"
        r"(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])",
        (),
        40,
    ),
)

# At one position the first family wins: a key name or URL is seen before the
# token in its value, so the context decides how much is redacted.
FAMILIES: tuple[Family, ...] = _CONTEXT + _TYPED
