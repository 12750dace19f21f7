"""Alembic environment: the app supplies the database URL; the models supply the metadata."""

from alembic import context

from community.extensions import make_engine
from community.models import Base
from community.queries.search import alembic_include_name

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    app = config.attributes.get("app")
    if app is None:
        from community import create_app

        app = create_app()
    url = app.config["DATABASE_URL"]
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),
            compare_type=True,
            # The search index (FTS5 tables, GIN indexes) is not in the models.
            include_name=alembic_include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
