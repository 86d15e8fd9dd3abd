# (filled by issue 6's process work)
