"""One module per outside system, named after its technology."""
