"""Test harness shipped with Velocity: real servers on free loopback ports."""
