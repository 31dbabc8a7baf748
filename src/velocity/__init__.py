"""Velocity: developer tools that make CI and the inner loop fast.

Three products over one core: :mod:`velocity.depci` (dependency-aware CI),
:mod:`velocity.livepatch` (push changes into a running process) and
:mod:`velocity.quantum` (a speculative merge queue).
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Computed lazily so importing velocity never pays for importlib.metadata.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version

        try:
            return version("velocity-trinity")
        except PackageNotFoundError:  # running from a source tree without install
            from velocity._version import __version__

            return __version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
