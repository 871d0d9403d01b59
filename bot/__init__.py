"""The chat side, the composition root and the command line."""
