# (filled by issue 6's shm work)
