from alembic import context
from prm_kit.migrations import run_env
from scoring.models import Base

url = context.get_x_argument(as_dictionary=True).get("url")
if url:
    context.config.set_main_option("sqlalchemy.url", url)
run_env(Base.metadata)
