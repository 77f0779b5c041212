"""The node's pages and the risk analyzer's, one file per subject; each page function returns a title and a body."""
