"""Message catalogs of the risk analyzer (one TOML file per language); a package so installs ship them."""
