"""Progress of long work in log lines: estimated time left."""


def format_duration(seconds):
    """Seconds as h:mm:ss."""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


def eta(done, total, elapsed_seconds):
    """Time left (h:mm:ss) to finish `total` units at the average rate of the `done` ones; '?' before any."""
    if done <= 0 or elapsed_seconds <= 0:
        return "?"
    return format_duration((total - done) * elapsed_seconds / done)
