"""JSON shapes of the API: beacon-API encodings (numbers as decimal strings, bytes as 0x hex) and the builders
of each response's `data`."""
