"""Every comparison of a secret (key, token, signature, nonce, digest) is constant-time."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"
# The last word of a name that holds (part of) a secret.
SECRET = re.compile(r"(^|_)(key|keys|token|tokens|signature|signatures|secret|nonce|csrf|digest|hmac|mac|hash)$",
                    re.IGNORECASE)
# Reviewed comparisons whose "secret-looking" side is not secret, with the reason.
REVIEWED: dict[tuple[str, str], str] = {
    ("chalicelib/adapters/reportlab_labels.py", "key == facts[0][0]"):
        "a heading of the packing slip's facts table, printed on the page",
    ("chalicelib/services/approval_links.py", "quote_hash(request) != link.quote_hash"):
        "a digest of the public quote, to see whether the request changed since the email; "
        "the link's token itself is found by its SHA-256 key and compared in merchant_pages.py",
    ("chalicelib/domain/order.py", "order_number_key(one) == order_number_key(other)"):
        "two order numbers in their matching form (no secret: a shopper types them; the lookup "
        "compares the email in constant time)",
}


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    if isinstance(node, ast.Call):
        return _name(node.func)
    return None


def secret_comparisons(root: Path = CHALICELIB) -> list[tuple[str, int, str]]:
    """(file, line, source) of every ==/!= between a secret-named value and a non-constant."""
    found = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
                if not isinstance(op, ast.Eq | ast.NotEq):
                    continue
                # A literal on either side is a format check (`scheme == "v1"`), not a secret match.
                if isinstance(left, ast.Constant) or isinstance(right, ast.Constant):
                    continue
                names = [n for n in (_name(left), _name(right)) if n]
                if any(SECRET.search(n) for n in names) and not any(n == "len" for n in names):
                    relative = str(path.relative_to(root.parent))
                    text = ast.get_source_segment(source, node) or ""
                    if (relative, text) not in REVIEWED:
                        found.append((relative, node.lineno, text))
    return found


def test_no_secret_is_compared_with_equals() -> None:
    offenders = secret_comparisons()
    assert not offenders, "use hmac.compare_digest for these (or review them into REVIEWED):\n" + "\n".join(
        f"{file}:{line}: {text}" for file, line, text in offenders)


def test_the_scan_finds_a_plain_comparison(tmp_path: Path) -> None:
    # The scan itself works: a planted `==` on a signature is found.
    planted = tmp_path / "chalicelib"
    planted.mkdir()
    (planted / "bad.py").write_text("def ok(signature, expected):\n    return signature == expected\n")
    assert [(f, line) for f, line, _ in secret_comparisons(planted)] == [("chalicelib/bad.py", 2)]


@pytest.mark.parametrize("module", [
    # web/html.py holds the CSRF check of every page family (shopper, merchant, warehouse).
    "services/check_admin_key.py", "adapters/signed_tokens.py", "web/html.py", "services/look_up_order.py",
])
def test_the_secret_checks_use_compare_digest(module: str) -> None:
    # A module renamed or moved fails here, so its secret checks are never silently unchecked.
    assert (CHALICELIB / module).exists(), f"{module} is gone: name the module that checks this secret now"
    assert "hmac.compare_digest(" in (CHALICELIB / module).read_text(encoding="utf-8")
