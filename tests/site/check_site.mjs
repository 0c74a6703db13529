// Loads every page of the built site in headless Chromium and checks what a reader sees:
// images load, math is typeset, no Python traceback or stderr block, launch and download
// buttons on chapters (Colab opening the chapter's .ipynb on the `notebooks` branch), and no
// serious or critical accessibility violations (axe-core); every in-page explorer answers the
// keyboard and changes its picture; every page links to the PDF, every chapter to its slides.
// Usage: node tests/site/check_site.mjs <base URL> <html folder> <screenshot folder>
import { launchBrowser } from "../../export/browser.mjs";
import { readFileSync, readdirSync, statSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { createRequire } from "node:module";
import { checkExplorers } from "./explorers.mjs";

const [baseUrl, htmlDir, shotDir] = process.argv.slice(2);
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

function pages(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    // The decks in slides/ are reveal.js pages, checked slide by slide by check_slides.mjs.
    if (statSync(path).isDirectory()) return name.startsWith("_") || (dir === htmlDir && name === "slides") ? [] : pages(path);
    return name.endsWith(".html") && !["genindex.html", "search.html"].includes(name) ? [path] : [];
  });
}

const browser = await launchBrowser();
mkdirSync(shotDir, { recursive: true });
const failures = [];
let checked = 0;

for (const file of pages(htmlDir)) {
  const rel = relative(htmlDir, file);
  if (/http-equiv="refresh"/i.test(readFileSync(file, "utf8"))) continue; // redirect stub
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const external = [];
  const missing = [];
  page.on("request", (req) => { if (!req.url().startsWith(baseUrl) && !req.url().startsWith("data:")) external.push(req.url()); });
  page.on("response", (res) => { if (res.status() >= 400) missing.push(`${res.status()} ${res.url()}`); });
  await page.goto(`${baseUrl}/${rel}`, { waitUntil: "load" });
  await page.evaluate(async () => { if (window.MathJax?.startup?.promise) await window.MathJax.startup.promise; });
  const problems = [];
  const fail = (msg) => problems.push(msg);

  const broken = await page.$$eval("img", (imgs) => imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.src));
  if (broken.length) fail(`images that did not load: ${broken.join(", ")}`);
  const noAlt = await page.$$eval("main img", (imgs) => imgs.filter((i) => !(i.getAttribute("alt") || "").trim()).map((i) => i.src));
  if (noAlt.length) fail(`images without alt text: ${noAlt.join(", ")}`);

  const text = await page.$eval("main", (m) => m.innerText);
  for (const raw of ["$$", "\\(", "\\[", "\\begin{"]) if (text.includes(raw)) fail(`untypeset math: '${raw}' in the page text`);
  if (/Traceback \(most recent call last\)|^\w*Error: /m.test(text)) fail("a Python traceback or error in the page");
  if (await page.$(".output.stderr, .cell_output .stderr, .output.traceback")) fail("a stderr or traceback output block");

  const isChapter = await page.$(".cell");
  if (isChapter) {
    const launch = await page.$$eval("a", (as) => as.map((a) => a.href).filter((h) => /mybinder\.org|colab\.research/.test(h)));
    if (launch.length < 2) fail(`launch buttons missing (found ${launch.length})`);
    // Colab opens only .ipynb files from GitHub: its button must open this chapter's notebook on
    // the `notebooks` branch (made by .github/workflows/notebooks.yml), not the MyST source.
    const colab = launch.filter((h) => /colab\.research\.google\.com/.test(h));
    const notebook = `/${rel.replace(/\.html$/, ".ipynb")}`;
    if (!colab.length) fail("no Colab button");
    for (const h of colab) {
      if (!h.endsWith(".ipynb") || !h.includes("/blob/notebooks/")) fail(`Colab link does not open a notebook on the notebooks branch: ${h}`);
      else if (!h.endsWith(notebook)) fail(`Colab link opens another chapter's notebook: ${h} (expected …${notebook})`);
    }
    // Binder builds the `notebooks` branch too and opens the same notebook (JupyterLab would
    // open the MyST chapter from main as text).
    const binder = launch.filter((h) => /mybinder\.org/.test(h));
    if (!binder.length) fail("no Binder button");
    for (const h of binder) {
      const url = decodeURIComponent(h);
      if (!url.includes("/notebooks?") || !url.endsWith(`lab/tree${notebook}`)) fail(`Binder link does not open ${notebook} on the notebooks branch: ${h}`);
    }
    if (!(await page.$(".btn-download-notebook-button, .btn-download-source-button"))) fail("no download button");
  }
  const explorers = await checkExplorers(page, fail);
  const links = await page.$$eval("a.book-link", (as) => as.map((a) => [a.textContent, a.href]));
  if (!links.some(([t]) => t === "PDF")) fail("no link to the book's PDF");
  if (/^book\/\d/.test(rel) && !links.some(([t]) => t === "Slides")) fail("no link to the chapter's slides");
  for (const [t, href] of links) {
    const res = await page.request.fetch(href, { method: "HEAD" });
    if (!res.ok()) fail(`the ${t} link ${href} answers ${res.status()}`);
  }
  if (missing.length) fail(`resources that failed to load: ${missing.join(", ")}`);
  if (external.length) fail(`requests outside the site: ${[...new Set(external)].join(", ")}`);

  await page.addScriptTag({ content: axeSource });
  const axe = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const serious = axe.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  for (const v of serious) fail(`axe ${v.impact}: ${v.id} (${v.help}) on ${v.nodes.length} element(s): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}`);

  if (isChapter) await page.screenshot({ path: join(shotDir, rel.replaceAll("/", "_").replace(/\.html$/, ".png")), fullPage: true });
  checked += 1;
  console.log(`${problems.length ? "FAIL" : "ok  "} ${rel}  (axe: ${axe.violations.length} violations, ${serious.length} serious/critical${explorers ? `, ${explorers} explorer(s)` : ""})`);
  for (const p of problems) console.log(`     - ${p}`);
  if (problems.length) failures.push(rel);
  await page.close();
}
await browser.close();
console.log(`\n${checked - failures.length} passed, ${failures.length} failed`);
process.exit(failures.length || checked === 0 ? 1 : 0);
