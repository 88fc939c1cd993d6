"""Tiny helpers to look inside rendered pages with Django's own test HTML parser."""

from collections.abc import Iterator

from django.test.html import Element, normalize_whitespace, parse_html


def parse(html: str) -> Element:
    return parse_html(html)


def find_all(node: Element, tag: str, *, cls: str | None = None, id: str | None = None) -> Iterator[Element]:
    """Every descendant (and the node itself) named ``tag`` with the given class and/or id."""
    attrs = dict(node.attributes)
    if (
        node.name == tag
        and (cls is None or cls in (attrs.get("class") or "").split())
        and (id is None or attrs.get("id") == id)
    ):
        yield node
    for child in node.children:
        if isinstance(child, Element):
            yield from find_all(child, tag, cls=cls, id=id)


def find(node: Element, tag: str, *, cls: str | None = None, id: str | None = None) -> Element:
    found = list(find_all(node, tag, cls=cls, id=id))
    assert len(found) == 1, f"expected one <{tag} class={cls} id={id}>, found {len(found)}"
    return found[0]


def text(node: Element | str) -> str:
    if isinstance(node, str):
        return normalize_whitespace(node).strip()
    return " ".join(part for part in (text(child) for child in node.children) if part)


def components(node: Element) -> list[tuple[str, str, str]]:
    """(name, status class, status label) of each component row under ``node``, in order."""
    rows = []
    for row in find_all(node, "li", cls="component"):
        status = find(row, "span", cls="status")
        status_class = next(c for c in dict(status.attributes)["class"].split() if c.startswith("status-"))
        rows.append((text(find(row, "span", cls="component-name")), status_class.removeprefix("status-"), text(status)))
    return rows
