"""The `hotline` command: a friendly front door to Hotline's management commands.

    hotline demo          migrate, load demo data if empty, print logins, serve on 127.0.0.1:8000
    hotline serve         serve the web app (uvicorn, uvloop)
    hotline engine        run the telephony engine (SIP, RTP, IVR, ACD) on uvloop until Ctrl+C
    hotline worker        run the task worker (imports, printing, feedback files) until Ctrl+C
    hotline migrate       create or upgrade the database
    hotline loaddemo      load the demo data set (--customers 1000000 for a benchmark-sized one)
    hotline createadmin   create an administrator
    hotline bench …       benchmarks (`hotline bench lookup`)
    hotline simulate …    traffic over real SIP against the engine (`hotline simulate airing --cps 20 --duration 60`)
    hotline import …      Excel imports (`hotline import customers FILE.xlsx`)
    hotline token USER    issue a REST API token
    hotline manage …      any Django management command
"""

from __future__ import annotations

import os
import secrets
import sys

COMMANDS = {
    "demo": "demo",
    "serve": "serve",
    "engine": "engine",
    "worker": "worker",
    "migrate": "migrate",
    "loaddemo": "loaddemo",
    "createadmin": "createadmin",
    "bench": "bench",
    "simulate": "simulate",
    "import": "importxlsx",
    "token": "apitoken",
}


def main(argv: list[str] | None = None) -> int:
    """Dispatch `hotline SUBCOMMAND …` to the matching management command; 2 for a usage or settings error."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    name, rest = args[0], args[1:]
    if name != "manage" and name not in COMMANDS:
        print(f"hotline: unknown command {name!r}\n{__doc__}", file=sys.stderr)
        return 2
    if name in ("demo", "simulate"):  # the simulator signs nothing: the demo's settings are enough for it
        os.environ.setdefault("HOTLINE_DEMO", "1")
    if name == "bench":
        _throwaway_secret_key()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    if not _set_up():
        return 2
    from django.core.management import ManagementUtility, execute_from_command_line

    if name == "manage":
        execute_from_command_line(["hotline manage", *rest])
        return 0
    command = ManagementUtility(["hotline", COMMANDS[name]]).fetch_command(COMMANDS[name])
    # Parsed under the name the user typed, so usage lines read `hotline token`, not the module's name.
    command.run_from_argv(["hotline", name, *rest])
    return 0


def _throwaway_secret_key() -> None:
    """A benchmark is a tool: nothing it signs outlives the run, so on a database named by DATABASE_URL it
    needs no SECRET_KEY of the deployment's. Without one it runs with a random key of its own, which the
    processes it starts (the surge's `hotline engine`, the per-database workers) inherit. `serve`, `engine`
    and `worker` keep refusing to start without the key; the demo's database keeps its own (settings.py)."""
    if os.environ.get("DATABASE_URL") and not os.environ.get("SECRET_KEY", "").strip():
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)


def _set_up() -> bool:
    """Load the settings; a configuration error is one line on stderr (no traceback), and False."""
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:
        print(f"hotline: {error}", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
