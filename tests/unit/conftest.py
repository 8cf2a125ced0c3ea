"""Fixtures shared by the unit tests of sync: two replicas of one office (A and B, B joined from A), made
once per test module and copied afresh for each test."""

from __future__ import annotations

import pytest
from sync_helpers import make_replicas, open_pair


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("replicas")
    make_replicas(root)
    return root


@pytest.fixture
def pair(template, tmp_path):
    """(A, B), open, synced with each other; closed after the test."""
    a, b = open_pair(template, tmp_path)
    yield a, b
    a.close()
    b.close()
