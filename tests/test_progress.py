"""ETA of long work in log lines."""
from dvae_tf2.runtime import progress


def test_eta_extrapolates_the_average_rate():
    assert progress.eta(done=250, total=1000, elapsed_seconds=100) == "0:05:00"
    assert progress.eta(done=1, total=100_001, elapsed_seconds=0.1) == "2:46:40"
    assert progress.eta(done=0, total=10, elapsed_seconds=5) == "?"


def test_format_duration():
    assert progress.format_duration(3 * 3600 + 7 * 60 + 5.4) == "3:07:05"
    assert progress.format_duration(59.6) == "0:01:00"
