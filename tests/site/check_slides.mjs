// Opens every reveal.js deck of the built site (export/slides.py) in headless Chromium and
// steps through all its slides: each must render something, fit its 1280×720 frame (nothing
// outside it, nothing cut off), load its images and have its math typeset by MathJax; a
// figure slide must show its figure; no bullet may end cut off ("…"), and no slide may hold
// more than six bullets or a wall of text; the explorers on the slides must work; nothing may
// be fetched from outside the site. All decks together keep the lecture's size: at most
// MAX_SLIDES slides, a third or more of them with a figure.
// Usage: node tests/site/check_slides.mjs <base URL> <html folder> <screenshot folder>
// LECTURE_SLIDE_SHOTS=all saves every slide (slides_<deck>_<n>.png), not one of each kind.
import { launchBrowser } from "../../export/browser.mjs";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { checkExplorers } from "./explorers.mjs";

const [baseUrl, htmlDir, shotDir] = process.argv.slice(2);
// The lecture has about 70 slides; the decks may be fuller, not twice as long.
const MAX_SLIDES = 150, MIN_FIGURE_SHARE = 1 / 3, MAX_BULLETS = 6, MAX_WORDS = 80;
const allShots = process.env.LECTURE_SLIDE_SHOTS === "all";
let figureSlides = 0;
const manifest = JSON.parse(readFileSync(join(htmlDir, "slides", "manifest.json"), "utf8"));
const toc = readFileSync(process.env.BOOK_TOC || "_toc.yml", "utf8");
const chapters = [...toc.matchAll(/file:\s*(\S+)/g)].map((m) => m[1]).filter((f) => /^\d/.test(f.split("/").pop()));
const browser = await launchBrowser();
mkdirSync(shotDir, { recursive: true });
const failures = [];
let slidesSeen = 0;
if (manifest.decks.length !== chapters.length) failures.push(`${manifest.decks.length} decks for ${chapters.length} chapters`);

for (const deck of manifest.decks) {
  const started = Date.now();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems = [];
  const fail = (msg) => problems.push(msg);
  const external = [], missing = [], errors = [];
  page.on("request", (r) => { if (!r.url().startsWith(baseUrl) && !r.url().startsWith("data:")) external.push(r.url()); });
  page.on("response", (r) => { if (r.status() >= 400) missing.push(`${r.status()} ${r.url()}`); });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${baseUrl}/slides/${deck.file}`, { waitUntil: "load" });
  await page.waitForSelector("body[data-deck-ready]", { timeout: 30000 });
  const total = await page.evaluate(() => Reveal.getTotalSlides());
  if (total !== deck.slides) fail(`${total} slides in the deck, the manifest says ${deck.slides}`);
  if (total < 5) fail(`only ${total} slides`);
  const notes = await page.$$eval("aside.notes", (a) => a.filter((n) => n.textContent.trim()).length);
  if (!notes) fail("no speaker notes");
  const shots = { title: false, figure: false, explorer: false, code: false };
  let explorers = 0;
  const slides = await page.evaluate(() => Reveal.getSlides().map((s) => { const i = Reveal.getIndices(s); return [i.h, i.v || 0]; }));
  for (const [n, [h, v]] of slides.entries()) {
    await page.evaluate(([h, v]) => Reveal.slide(h, v), [h, v]);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const where = `slide ${n + 1} (${h}/${v})`;
    const r = await page.evaluate(() => {
      const slide = Reveal.getCurrentSlide();
      const frame = document.querySelector(".reveal .slides").getBoundingClientRect();
      const scale = Reveal.getScale();
      // What is visible of an element: its box cut by every ancestor that clips its overflow.
      const visible = (e) => {
        const b = e.getBoundingClientRect();
        let [l, t, r, btm] = [b.left, b.top, b.right, b.bottom];
        for (let p = e.parentElement; p && p !== slide; p = p.parentElement) {
          if (getComputedStyle(p).overflow === "visible") continue;
          const c = p.getBoundingClientRect();
          [l, t, r, btm] = [Math.max(l, c.left), Math.max(t, c.top), Math.min(r, c.right), Math.min(btm, c.bottom)];
        }
        return { left: l, top: t, right: r, bottom: btm, width: r - l, height: btm - t };
      };
      const out = [...slide.querySelectorAll("*")].filter((e) => {
        const b = visible(e);
        if (b.width <= 0 || b.height <= 0 || e.closest("aside.notes")) return false;
        return b.left < frame.left - 2 || b.top < frame.top - 2 || b.right > frame.left + 1280 * scale + 2 || b.bottom > frame.top + 720 * scale + 2;
      }).map((e) => e.tagName.toLowerCase() + (e.className && typeof e.className === "string" ? "." + e.className.split(" ")[0] : ""));
      const clone = slide.cloneNode(true);
      clone.querySelectorAll("aside.notes, script, style").forEach((e) => e.remove());
      const math = [...slide.querySelectorAll(".math")];
      // The author's text: bullets and paragraphs, not code, outputs or an explorer's labels.
      const prose = [...slide.querySelectorAll(".slide-body li, .slide-body > p")].filter((e) => !e.closest("aside.notes, .slide-html"));
      const ownText = (e) => { const c = e.cloneNode(true); c.querySelectorAll("ul, ol, pre").forEach((x) => x.remove()); return c.textContent.trim(); };
      return {
        cut: prose.map(ownText).filter((t) => /(…|\.\.\.)$/.test(t)).map((t) => t.slice(-40)),
        bullets: slide.querySelectorAll(".slide-body > ul > li, .slide-body > ol > li").length,
        words: prose.map(ownText).join(" ").split(/\s+/).filter(Boolean).length,
        kind: slide.className, text: clone.textContent.trim(), visible: slide.getBoundingClientRect().height > 0,
        overflow: slide.scrollHeight > 722 || slide.scrollWidth > 1282, out: [...new Set(out)].slice(0, 4),
        images: [...slide.querySelectorAll("img")].filter((i) => !(i.complete && i.naturalWidth > 0)).length,
        nImages: slide.querySelectorAll("img").length,
        math: math.length, typeset: math.filter((m) => m.querySelector("mjx-container")).length,
        fitted: slide.dataset.fitted,
      };
    });
    if (!r.visible) fail(`${where}: not displayed`);
    if (!r.text && !r.nImages) fail(`${where}: empty`);
    if (r.overflow || r.out.length) fail(`${where}: content overflows the slide (font ${r.fitted}%): ${r.out.join(", ")}`);
    if (r.images) fail(`${where}: ${r.images} image(s) did not load`);
    if (r.kind.includes("kind-figure") && !r.nImages) fail(`${where}: a figure slide without its figure`);
    for (const cut of r.cut) fail(`${where}: a sentence cut off: "…${cut}"`);
    if (r.bullets > MAX_BULLETS) fail(`${where}: ${r.bullets} bullets (at most ${MAX_BULLETS})`);
    if (r.words > MAX_WORDS) fail(`${where}: ${r.words} words of text (at most ${MAX_WORDS}; the rest belongs in the notes)`);
    if (r.kind.includes("kind-figure")) figureSlides += 1;
    if (r.typeset < r.math) fail(`${where}: ${r.math - r.typeset} of ${r.math} formulas not typeset`);
    for (const raw of ["\\(", "\\[", "$$", "\\begin{"]) if (r.text.includes(raw)) fail(`${where}: untypeset math '${raw}'`);
    if (r.kind.includes("kind-explorer")) explorers += await checkExplorers(page, (m) => fail(`${where}: ${m}`));
    const kind = ["title", "figure", "explorer", "code"].find((k) => r.kind.includes(`kind-${k}`));
    if (allShots) {
      await page.screenshot({ path: join(shotDir, `slides_${deck.file.replace(".html", "")}_${String(n + 1).padStart(2, "0")}.png`) });
    } else if (kind && !shots[kind]) {
      shots[kind] = true;
      await page.screenshot({ path: join(shotDir, `slides_${deck.file.replace(".html", "")}_${kind}.png`) });
    }
    slidesSeen += 1;
  }
  if (missing.length) fail(`resources that failed to load: ${missing.join(", ")}`);
  if (external.length) fail(`requests outside the site: ${[...new Set(external)].join(", ")}`);
  if (errors.length) fail(`JavaScript errors: ${errors.join("; ")}`);
  console.log(`${problems.length ? "FAIL" : "ok  "} slides/${deck.file}  (${total} slides, ${explorers} explorer(s), ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  for (const p of problems) console.log(`     - ${p}`);
  if (problems.length) failures.push(deck.file);
  await page.close();
}
await browser.close();
if (slidesSeen > MAX_SLIDES) failures.push(`${slidesSeen} slides in all (at most ${MAX_SLIDES})`);
if (figureSlides < MIN_FIGURE_SHARE * slidesSeen) failures.push(`only ${figureSlides} of ${slidesSeen} slides carry a figure (a third or more should)`);
console.log(`\nslides: ${manifest.decks.length - failures.filter((f) => f.endsWith(".html")).length} of ${manifest.decks.length} decks passed, ${slidesSeen} slides stepped through, ${figureSlides} with a figure`);
for (const f of failures.filter((f) => !f.endsWith(".html"))) console.log(`FAIL ${f}`);
process.exit(failures.length || !manifest.decks.length ? 1 : 0);
