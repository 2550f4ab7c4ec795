"""The glibc allocator tuning (nnrnn_edu.models.allocator)."""

from nnrnn_edu.models import tune_cpu_allocator


def test_tune_cpu_allocator_idempotent():
    first = tune_cpu_allocator()
    assert isinstance(first, bool)
    assert tune_cpu_allocator() == first

