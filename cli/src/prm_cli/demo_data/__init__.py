"""Demo data of each domain, loaded through the public API by `prm demo` (see `prm_cli.demo`)."""
