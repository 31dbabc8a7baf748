"""Placeholder: replaced by the structlog + scrubber implementation."""

from __future__ import annotations


def scrub_text(text: str) -> str:
    return text
