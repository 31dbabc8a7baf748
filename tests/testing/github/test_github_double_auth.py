from __future__ import annotations

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from githubkit import AppAuthStrategy
from githubkit import GitHub
from githubkit.exception import RequestFailed

from velocity.testing.github import GitHubDouble

OWNER, REPO = "velocity", "demo"


def _jwt(double: GitHubDouble, key: str | None = None, **claims: int) -> str:
    now = int(time.time())
    body = {"iss": str(double.app_id), "iat": now - 60, "exp": now + 540, **claims}
    return jwt.encode(body, key or double.private_key_pem, algorithm="RS256")


def test_app_jwt_gets_installation_and_app(app_client: GitHub[AppAuthStrategy], double):
    installation = app_client.rest.apps.get_repo_installation(OWNER, REPO).parsed_data
    assert installation.id == double.installation_id
    assert installation.app_id == double.app_id
    app = app_client.rest.apps.get_authenticated().parsed_data
    assert app is not None
    assert app.slug == "velocity-quantum"


def test_installation_token_is_issued_and_used(gh: GitHub[AppAuthStrategy], double):
    repo = gh.rest.repos.get(OWNER, REPO).parsed_data
    assert repo.full_name == f"{OWNER}/{REPO}"
    token_calls = [r for r in double.requests if r[1].endswith("/access_tokens")]
    assert token_calls == [
        ("POST", f"/app/installations/{double.installation_id}/access_tokens", 201)
    ]
    repos = gh.rest.apps.list_repos_accessible_to_installation().parsed_data
    assert [r.name for r in repos.repositories] == [REPO]


def test_jwt_signed_with_another_key_is_rejected(double):
    other = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    answer = httpx.get(
        double.base_url + "app", headers={"Authorization": f"Bearer {_jwt(double, other)}"}
    )
    assert answer.status_code == 401
    assert "could not be decoded" in answer.json()["message"]


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000},
        {"exp": int(time.time()) + 3600},
    ],
    ids=["expired", "too-long-lived"],
)
def test_jwt_lifetime_is_checked(double, claims):
    answer = httpx.get(
        double.base_url + "app", headers={"Authorization": f"Bearer {_jwt(double, **claims)}"}
    )
    assert answer.status_code == 401


def test_wrong_issuer_is_rejected(double):
    token = jwt.encode(
        {"iss": "1", "iat": int(time.time()) - 60, "exp": int(time.time()) + 500},
        double.private_key_pem,
        algorithm="RS256",
    )
    answer = httpx.get(double.base_url + "app", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401


def test_requests_without_or_with_bad_token_are_401(double):
    url = f"{double.base_url}repos/{OWNER}/{REPO}"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "token ghs_nope"}).json() == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
    }


def test_jwt_is_not_an_installation_token(double):
    url = f"{double.base_url}repos/{OWNER}/{REPO}"
    answer = httpx.get(url, headers={"Authorization": f"Bearer {_jwt(double)}"})
    assert answer.status_code == 403


def test_revoked_tokens_stop_working(gh: GitHub[AppAuthStrategy], double):
    gh.rest.repos.get(OWNER, REPO)
    double.app.revoke_all()
    with pytest.raises(RequestFailed) as failure:
        gh.rest.repos.get(OWNER, REPO)
    assert failure.value.response.status_code == 401


def test_unknown_installation_is_404(double):
    url = f"{double.base_url}app/installations/1/access_tokens"
    answer = httpx.post(url, headers={"Authorization": f"Bearer {_jwt(double)}"})
    assert answer.status_code == 404
