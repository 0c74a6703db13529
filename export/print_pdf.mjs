// Prints the single-page book (export/print_book.py) to PDF with headless Chromium: no TeX.
// Serves the built site on the loopback interface so that MathJax loads its fonts as on the
// website, waits for the math to be typeset and every image to load, then prints A4 with
// page numbers and a PDF outline from the headings.
// Usage: node export/print_pdf.mjs <html folder> <output.pdf>
import { launchBrowser } from "./browser.mjs";
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { join, extname, resolve } from "node:path";

const [htmlDir, output] = process.argv.slice(2);
const root = resolve(htmlDir);
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png",
  ".svg": "image/svg+xml", ".woff": "font/woff", ".woff2": "font/woff2", ".json": "application/json" };
const server = createServer(async (req, res) => {
  const path = join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
  try {
    if (!path.startsWith(root) || !(await stat(path)).isFile()) throw new Error();
    res.writeHead(200, { "content-type": types[extname(path)] || "application/octet-stream" });
    res.end(await readFile(path));
  } catch { res.writeHead(404); res.end(); }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const started = Date.now();
const browser = await launchBrowser();
const page = await browser.newPage();
const failed = [];
page.on("response", (r) => { if (r.status() >= 400) failed.push(r.url()); });
await page.goto(`http://127.0.0.1:${server.address().port}/_print/book.html`, { waitUntil: "load", timeout: 120000 });
await page.evaluate(async () => { await window.MathJax.startup.promise; });
const broken = await page.$$eval("img", (imgs) => imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).length);
if (broken || failed.length) {
  console.error(`print_pdf: ${broken} image(s) did not load; failed requests: ${failed.join(", ")}`);
  process.exit(1);
}
await page.pdf({
  path: output, format: "A4", printBackground: true, preferCSSPageSize: true, outline: true, tagged: true,
  displayHeaderFooter: true, headerTemplate: "<span></span>",
  footerTemplate: '<div style="font: 8pt sans-serif; width: 100%; text-align: center; color: #555;"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
});
await browser.close();
server.close();
console.log(`pdf: ${output} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
