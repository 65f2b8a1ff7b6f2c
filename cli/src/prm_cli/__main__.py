"""`python -m prm_cli` is `prm`."""

from prm_cli.main import app

app(prog_name="prm")
