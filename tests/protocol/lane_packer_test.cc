// Filled in with the packer.
