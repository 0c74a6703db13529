"""The ``slide`` directive: the author's mark of what a chapter puts on its slides.

As d2l marks in its sources what goes on a slide, a chapter says where a slide starts and what
it shows::

    :::{slide} Border effects
    :show: figure

    - A 3×3 filter fits a 5×5 image in only 9 places: the output shrinks to 3×3
    - Zero padding keeps the image's size
    :::

The body holds the slide's few short bullets (MyST, so roles such as ``{glue:text}`` give this
run's numbers); ``:show:`` asks for what the cells after the mark produce, in the order given:
``code`` (the first visible code cell's source), ``output`` (its text outputs, such as a model summary), ``figure``
(the first figure) and ``explorer`` (the first interactive output). The prose that follows the
mark, up to the next one, becomes the slide's speaker notes (``export/slides.py``).

On the page the mark is an HTML ``<template>``: browsers neither show nor print it, screen
readers skip it, and ``export/slides.py`` reads it from the built page, so that a slide's
figures and numbers are those of the same executed run. Other builders leave it out.
Enabled by ``sphinx: local_extensions: {slide_marks: _ext}`` in ``_config.yml``.
"""

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

SHOWS = ("code", "output", "figure", "explorer")


class slide_mark(nodes.General, nodes.Element):
    """Where a slide starts; its children are the slide's bullets."""


def show_option(argument):
    """The ``:show:`` option: a space-separated list of :data:`SHOWS`, each at most once."""
    shown = (argument or "").split()
    unknown = [s for s in shown if s not in SHOWS]
    if unknown:
        raise ValueError(f"{', '.join(unknown)} cannot be shown on a slide; choose from {', '.join(SHOWS)}")
    if len(set(shown)) < len(shown):
        raise ValueError(f"{argument!r} names something twice")
    return " ".join(shown)


class SlideDirective(SphinxDirective):
    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {"show": show_option}

    def run(self):
        node = slide_mark(title=self.arguments[0] if self.arguments else "", show=self.options.get("show", ""))
        self.set_source_info(node)
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


def visit_slide_html(translator, node):
    attributes = {"data-title": node["title"], "data-show": node["show"]}
    translator.body.append(translator.starttag(node, "template", "", CLASS="lecture-slide", **attributes))


def depart_slide_html(translator, node):
    translator.body.append("</template>\n")


def skip(translator, node):
    raise nodes.SkipNode


def setup(app):
    app.add_node(
        slide_mark,
        html=(visit_slide_html, depart_slide_html),
        latex=(skip, None),
        text=(skip, None),
        man=(skip, None),
        texinfo=(skip, None),
    )
    app.add_directive("slide", SlideDirective)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
