"""The import order of docs/architecture.md, checked over every import in conference/ (at module level and
inside functions): a package imports only packages below it, route and command modules are imported by
the app factory alone, and the infrastructure modules import no domain."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "conference"

# Each package (or top-level module) of conference/ and its layer: a module may import its own package
# and anything on a lower layer. Layer 0 is the infrastructure; its modules may import each other.
# A sub-package (conference/organizer/dashboard/) is a package of its own, named "organizer.dashboard";
# the modules directly in conference/organizer/ are the package "organizer".
LAYERS = {
    "config": 0, "extensions": 0, "ratestore": 0, "errors": 0, "names": 0, "security": 0, "tasks": 0,
    "mail": 0, "urls": 0, "htmx": 0, "devices": 0, "ratelimits": 0, "assets": 0, "health": 0, "downloads": 0,
    "calendars": 0, "dialects": 0, "lengths": 0,
    "gunicorn_logging": 0,
    "events": 1, "interests": 1,
    "badges": 2, "files": 2,
    "attendees": 3,
    "contacts": 4,
    "exports": 5,
    "privacy": 6,
    "circles": 7, "followups": 7, "network": 7, "scanner": 7,
    "meetings": 8, "digest": 8,
    "organizer": 9, "organizer.access": 9, "organizer.settings": 9, "organizer.meeting_frame": 9,
    "organizer.dashboard": 9,
    "auth": 10, "organizer.registrants": 10, "organizer.exports": 10,
    "organizer.printing": 11, "retention": 11,
    "pages": 12, "demo": 12, "models": 12,
}
# Modules that serve requests or commands (routes.py, huddle_routes.py, cli.py, or any module whose
# functions are views on a blueprint): they may use any package's models and operations, and only the
# app factory (conference/__init__.py) imports them.
VIEW_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _serves_views(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if (isinstance(call, ast.Attribute) and call.attr in VIEW_DECORATORS
                        and isinstance(call.value, ast.Name) and call.value.id != "app"):
                    return True
    return False


def entry_points() -> set[str]:
    """The dotted names of the modules that serve requests or commands."""
    found = set()
    for path in sources():
        if path.stem in ("routes", "cli") or path.stem.endswith("_routes") or _serves_views(ast.parse(path.read_text())):
            found.add(module_name(path))
    return found


def imported_names(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, dotted module, the names taken from it) of every conference import in `path`, wherever it
    stands in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            if base == "conference":  # `from conference import tasks`: the module named
                found += [(node.lineno, f"conference.{alias.name}", []) for alias in node.names]
            else:
                found.append((node.lineno, base, [alias.name for alias in node.names]))
    return [(line, name, taken) for line, name, taken in found
            if name == "conference" or name.startswith("conference.")]


def package_of(dotted: str) -> str | None:
    """The package of a conference module: "contacts" for conference.contacts.cards, "organizer.dashboard"
    for conference.organizer.dashboard.stats (a sub-package), None for conference itself."""
    parts = dotted.split(".")
    if len(parts) > 2 and (PACKAGE / parts[1] / parts[2]).is_dir():
        return f"{parts[1]}.{parts[2]}"
    return parts[1] if len(parts) > 1 else None


def test_a_sub_package_is_a_package_of_its_own():
    assert package_of("conference.organizer.dashboard.stats") == "organizer.dashboard"
    assert package_of("conference.organizer.dashboard") == "organizer.dashboard"
    assert package_of("conference.organizer.forms") == "organizer"
    assert package_of("conference.organizer") == "organizer"
    assert package_of("conference.contacts.cards") == "contacts"
    assert package_of("conference") is None


def test_every_package_has_a_place_in_the_layers():
    unplaced = sorted({package_of(module_name(path)) for path in sources()} - {None} - LAYERS.keys())
    assert not unplaced, (f"conference/{unplaced[0]} has no layer: add it to LAYERS in tests/test_architecture.py "
                          f"and to docs/architecture.md, below the packages it imports and above those that import it "
                          f"(unplaced: {', '.join(unplaced)})")


def test_imports_follow_the_layers():
    entries = entry_points()
    broken = []
    for path in sources():
        importer = module_name(path)
        if importer == "conference":
            continue  # the app factory puts everything together
        mine = package_of(importer)
        entry = importer in entries
        for line, name, taken in imported_names(path):
            theirs = package_of(name)
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if theirs is None:
                broken.append(f"{where}: only the app factory is imported as `conference`")
            elif name in entries or any(f"{name}.{t}" in entries for t in taken):
                broken.append(f"{where}: route and command modules are the app factory's to import")
            elif entry or theirs == mine or mine not in LAYERS or theirs not in LAYERS:
                continue  # an entry point may use any domain; unplaced packages fail the test above
            elif LAYERS[theirs] > LAYERS[mine] or (LAYERS[theirs] == LAYERS[mine] and LAYERS[mine] > 0):
                broken.append(f"{where}: {mine} (layer {LAYERS[mine]}) may not import {theirs} "
                              f"(layer {LAYERS[theirs]}): move what both need into the lower one, or lower")
    assert not broken, "Imports against docs/architecture.md:\n" + "\n".join(broken)


def test_the_infrastructure_modules_import_each_other_without_a_cycle():
    core = {name for name, layer in LAYERS.items() if layer == 0}
    edges = {name: set() for name in core}
    for path in sources():
        mine = package_of(module_name(path))
        if mine in core:
            edges[mine] |= {package_of(name) for _, name, _ in imported_names(path)} & core - {mine}

    def cycle_from(name: str, trail: list[str]) -> list[str] | None:
        if name in trail:
            return trail[trail.index(name):] + [name]
        for other in sorted(edges[name]):
            found = cycle_from(other, trail + [name])
            if found:
                return found
        return None

    cycles = [found for name in sorted(core) if (found := cycle_from(name, []))]
    assert not cycles, "An import cycle among the infrastructure modules: " + " -> ".join(cycles[0])


def test_the_architecture_page_names_every_package():
    page = (ROOT / "docs" / "architecture.md").read_text()
    missing = sorted(name for name in LAYERS if f"`{name}`" not in page)
    assert not missing, f"docs/architecture.md does not place {', '.join(missing)}"
