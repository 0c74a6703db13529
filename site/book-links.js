// Links every page to the book as one PDF, and each numbered chapter to its reveal.js deck
// (both written by `make book`, see export/). Plain text links, so they read the same to
// everyone and work without the theme's tooltips.
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.querySelector(".article-header-buttons");
  if (!bar) return;
  const root = document.documentElement.dataset.content_root || "./";
  const links = [];
  const chapter = window.location.pathname.match(/\/book\/(\d\d_[^/]+)\.html$/);
  if (chapter) links.push([`${root}slides/${chapter[1]}.html`, "Slides", "This chapter as slides"]);
  links.push([`${root}lecture9-convnets.pdf`, "PDF", "The whole book as one PDF"]);
  for (const [href, text, title] of links.reverse()) {
    const a = document.createElement("a");
    a.href = href;
    a.className = "btn btn-sm book-link";
    a.textContent = text;
    a.title = title;
    bar.prepend(a);
  }
});
