# (filled by issue 6's host_tree work)
