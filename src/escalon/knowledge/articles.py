"""Help articles as Markdown files: a title, a body, a category and tags, named by the file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from escalon.core.documents import LimitExceeded, Limits, load_yaml

# An article's id is its file name without `.md`: what `kb suggest` answers and links name.
ARTICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MAX_ARTICLE_BYTES = 200_000
MAX_ARTICLES = 10_000
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
# Front matter is a few lines: a title, a category, some tags.
_FRONT_LIMITS = Limits(max_bytes=20_000, max_depth=4, max_aliases=10, max_values=1_000)


class ArticleError(ValueError):
    """A folder or file that cannot be read as articles; says which and why."""


@dataclass(frozen=True, slots=True)
class Article:
    """One help article."""

    id: str
    title: str
    body: str
    category: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """What matching reads: the title twice (it says what the article is for), the body."""
        return f"{self.title}. {self.title}. {self.body}"


def read_folder(folder: Path) -> list[Article]:
    """Every `*.md` article of a folder, by id; ArticleError names the file and the problem."""
    if not folder.is_dir():
        raise ArticleError(f"{folder}: not a folder of Markdown articles")
    paths = sorted(folder.glob("*.md"))
    if not paths:
        raise ArticleError(f"{folder}: no *.md articles in it")
    if len(paths) > MAX_ARTICLES:
        raise ArticleError(f"{folder}: {len(paths):,} articles; at most {MAX_ARTICLES:,}")
    return [read_article(path) for path in paths]


def read_article(path: Path) -> Article:
    """One article: optional YAML front matter (title, category, tags), then Markdown; the
    title is the front matter's, else the first `# ` heading, else the id in words."""
    identifier = path.stem
    if not ARTICLE_ID.match(identifier):
        raise ArticleError(
            f"{path.name}: an article's file name is letters, digits, '_', '-' and '.' "
            "(its id), at most 100"
        )
    try:
        if path.stat().st_size > MAX_ARTICLE_BYTES:
            raise ArticleError(f"{path.name}: larger than {MAX_ARTICLE_BYTES:,} bytes")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ArticleError(f"{path.name}: not UTF-8 text") from None
    except OSError as error:
        raise ArticleError(f"{path.name}: cannot read ({error.strerror or error})") from None
    return parse_article(identifier, text, path.name)


def parse_article(identifier: str, text: str, source: str = "<article>") -> Article:
    """An article from its Markdown text (see `read_article`)."""
    meta: dict[str, object] = {}
    found = _FRONT.match(text)
    if found is not None:
        try:
            loaded = load_yaml(found.group(1), _FRONT_LIMITS)
        except LimitExceeded as error:
            raise ArticleError(f"{source}: its front matter {error.message}") from None
        except yaml.YAMLError as error:
            raise ArticleError(f"{source}: its front matter is not YAML ({error})") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ArticleError(
                f"{source}: its front matter must be a mapping (title, category, tags)"
            )
        meta = loaded or {}
        text = text[found.end() :]
    body = text.strip()
    title = meta.get("title")
    if title is None:
        first = body.splitlines()[0] if body else ""
        if first.startswith("# "):
            title = first[2:].strip()
            body = body[len(first) :].strip()
        else:
            title = identifier.replace("_", " ").replace("-", " ")
    category, tags = meta.get("category"), meta.get("tags", [])
    if not isinstance(title, str) or not title.strip():
        raise ArticleError(f"{source}: 'title' must be text")
    if category is not None and not isinstance(category, str):
        raise ArticleError(f"{source}: 'category' must be text")
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ArticleError(f"{source}: 'tags' must be a list of words")
    if not body:
        raise ArticleError(f"{source}: the article has no text")
    return Article(identifier, title.strip()[:300], body, category, tuple(tags))
