# (filled by issue 6's files work)
