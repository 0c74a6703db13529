// The book theme names some buttons in ways that screen-reader users who speak what they see
// cannot match: the search button reads "Search Ctrl+K" but is labelled "Search", and the
// colour-mode button's icons carry their own titles ("Light", "Dark") under the label
// "Color mode". Name buttons by what they show, and mark decorative icons as such.
// Font Awesome swaps the <i> icons for <svg> after load, so this runs again on changes.
function fixButtonNames() {
  for (const icon of document.querySelectorAll(".theme-switch-button i, .theme-switch-button svg")) {
    icon.removeAttribute("title");
    icon.removeAttribute("aria-labelledby");
    icon.setAttribute("aria-hidden", "true");
    icon.querySelector("title")?.remove();
  }
  // MyST-NB's "Show code cell content" toggles are labelled "Toggle hidden content".
  for (const summary of document.querySelectorAll("details > summary[aria-label]")) {
    if (summary.innerText.trim()) summary.removeAttribute("aria-label");
  }
  for (const button of document.querySelectorAll(".search-button__button")) {
    const visible = button.innerText.replace(/\s+/g, " ").trim();
    const label = button.getAttribute("aria-label") || "";
    if (visible && !label.toLowerCase().includes(visible.toLowerCase())) button.setAttribute("aria-label", visible);
  }
}
document.addEventListener("DOMContentLoaded", () => {
  fixButtonNames();
  for (const button of document.querySelectorAll(".theme-switch-button")) {
    new MutationObserver(fixButtonNames).observe(button, { childList: true, subtree: true });
  }
});
window.addEventListener("load", fixButtonNames);
