// Filled in with the unpacker.
