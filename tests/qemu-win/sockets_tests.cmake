# (filled by issue 6's sockets work)
