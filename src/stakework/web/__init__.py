"""The web app for stakers and operators (issue #18): pages rendered on the server, a little vanilla JavaScript
from `static/`, translations in `locale/`. Served by the node beside the API (`stakework.api.app.create_app`), or
the risk pages alone (`stakework web`). An edge like `api/` and `cli/`: parsing and rendering, nothing else."""
