"""The apps' layers, from the bottom up. An app imports only from apps below it - never from its
own layer's neighbour or from above. `core/tests/test_layers.py` holds the code to it.

Where a lower app must react to a higher one, the higher app orchestrates, or plugs into a
small hook of the lower app in its `AppConfig.ready()` (`booking/hooks.py`,
`screening.selectors.seats_taken_provide`).
"""

import ast
from pathlib import Path

LAYERS: dict[str, int] = {
    "core": 0,
    "accounts": 1,
    "catalog": 1,
    "screening": 2,
    "promotions": 3,
    "booking": 4,
    "payments": 5,
    "boxoffice": 6,
    "reports": 6,
    "demo": 7,
    "cinema_project": 8,
}
# Tests and migrations may use factories and models of any app; the rule is for the product.
EXEMPT_PARTS = {"tests", "migrations"}


def upward_imports(root: Path) -> list[str]:
    """Every import under `root` that breaks the rule, as `file:line: app -> app`."""
    problems = []
    for app, layer in LAYERS.items():
        for path in sorted((root / app).rglob("*.py")):
            if EXEMPT_PARTS & set(path.relative_to(root).parts):
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                for target in _imported_apps(node):
                    if target != app and LAYERS[target] >= layer:
                        problems.append(
                            f"{path.relative_to(root)}:{node.lineno}: {app} -> {target}"
                        )
    return problems


def _imported_apps(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        names = [node.module]
    else:
        return []
    return [name.split(".")[0] for name in names if name.split(".")[0] in LAYERS]
