# The shared test plugin (fresh migrated databases, rolled-back app clients) for every suite in the repo.
pytest_plugins = ["prm_kit.testing"]
