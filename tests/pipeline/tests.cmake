# pipeline tests: filled in with the host tree reader and writer
