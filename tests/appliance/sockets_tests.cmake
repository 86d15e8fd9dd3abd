# (filled by issue 6's sockets work: TCP listener and socket lane over TCP tests)
