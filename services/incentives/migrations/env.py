from alembic import context
from incentives.models import Base
from prm_kit.migrations import run_env

url = context.get_x_argument(as_dictionary=True).get("url")
if url:
    context.config.set_main_option("sqlalchemy.url", url)
run_env(Base.metadata)
