# (filled by issue 6's sockets work: the loopback TCP listener, both halves)
