"""Helpers for the monitor unit tests: real pacemaker XML captured from a 2.1.5 cluster."""

import os

import pytest

DATA = os.path.join(os.path.dirname(__file__), "data")


def sample(name: str) -> str:
    with open(os.path.join(DATA, name)) as f:
        return f.read()


@pytest.fixture
def xml():
    return sample
