"""Help articles read from Markdown: titles, front matter, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalon.knowledge.articles import ArticleError, parse_article, read_folder


def test_the_title_comes_from_front_matter_or_the_first_heading() -> None:
    headed = parse_article("refunds", "# How refunds work\n\nWe refund within 5 days.")
    assert (headed.title, headed.body) == ("How refunds work", "We refund within 5 days.")
    fronted = parse_article(
        "refunds",
        "---\ntitle: Refunds\ncategory: billing\ntags: [money, card]\n---\nWe refund.",
    )
    assert (fronted.title, fronted.category, fronted.tags) == (
        "Refunds",
        "billing",
        ("money", "card"),
    )
    bare = parse_article("track_refund", "Where your refund is.")
    assert bare.title == "track refund"
    assert bare.text.startswith("track refund. track refund. ")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("---\n[1, 2]\n---\nbody", "front matter must be a mapping"),
        ("---\ntitle: [x\n---\nbody", "front matter is not YAML"),
        ("---\ntags: {a: 1}\n---\nbody", "'tags' must be a list"),
        ("---\ncategory: 3\n---\nbody", "'category' must be text"),
        ("# Only a title", "has no text"),
        ("---\na: &x [1]\nb: [*x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x]\n---\nbody", "alias"),
    ],
)
def test_a_bad_article_names_its_problem(text: str, problem: str) -> None:
    with pytest.raises(ArticleError, match=problem):
        parse_article("a", text, "a.md")


def test_a_folder_is_read_in_file_order_and_bad_names_are_refused(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# B\nbee")
    (tmp_path / "a.md").write_text("# A\nay")
    (tmp_path / "notes.txt").write_text("not an article")
    assert [article.id for article in read_folder(tmp_path)] == ["a", "b"]
    (tmp_path / "bad name.md").write_text("# C\nsee")
    with pytest.raises(ArticleError, match=r"bad name\.md: an article.s file name"):
        read_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArticleError, match=r"no \*\.md articles"):
        read_folder(tmp_path / "empty")
    with pytest.raises(ArticleError, match="not a folder"):
        read_folder(tmp_path / "nowhere")
