"""The composition root: configuration, the command line, and `serve`."""
