"""The one rich console every command prints through (it writes to whatever sys.stdout is at the time)."""

from rich.console import Console

console = Console(highlight=False)
