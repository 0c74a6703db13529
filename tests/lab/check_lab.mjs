// Open a student's notebook in JupyterLab in headless Chromium, as a student would, and check
// what is rendered: no raw MyST ({glue, {numref, ```{ or :::{) in any cell, no assert in a code
// cell, every Markdown cell rendered. Saves a screenshot of the top of the notebook.
// Usage: node check_lab.mjs <lab url with token> <notebook path in the lab> <screenshot.png>
import { launchBrowser } from "../../export/browser.mjs";

const [url, notebook, screenshot] = process.argv.slice(2);
const browser = await launchBrowser();
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const address = new URL(url);
  const target = `${address.origin}/lab/tree/${notebook}${address.search}`;
  await page.goto(target, { waitUntil: "domcontentloaded", timeout: 120_000 });
  await page.waitForSelector(".jp-Notebook .jp-Cell", { timeout: 120_000 });
  // Rendering ends when the count of rendered Markdown cells stops changing.
  let last = -1;
  for (let i = 0; i < 30; i++) {
    const now = await page.locator(".jp-MarkdownCell .jp-RenderedMarkdown").count();
    if (now === last && now > 0) break;
    last = now;
    await page.waitForTimeout(1000);
  }
  const cells = await page.$$eval(".jp-Notebook .jp-Cell", (nodes) =>
    nodes.map((node) => ({
      markdown: node.classList.contains("jp-MarkdownCell"),
      rendered: !!node.querySelector(".jp-RenderedMarkdown"),
      text: node.classList.contains("jp-MarkdownCell")
        ? (node.querySelector(".jp-RenderedMarkdown") || node).innerText
        : (node.querySelector(".jp-InputArea-editor") || node).innerText,
    })),
  );
  cells.forEach((cell, i) => {
    for (const mark of ["{glue", "{numref", "```{", ":::{"]) {
      if (cell.text.includes(mark)) problems.push(`cell ${i} shows ${mark}: ${cell.text.slice(0, 80)}`);
    }
    if (cell.markdown && !cell.rendered) problems.push(`Markdown cell ${i} is not rendered`);
    if (!cell.markdown && /^\s*assert\b/m.test(cell.text)) problems.push(`code cell ${i} holds an assert`);
  });
  await page.screenshot({ path: screenshot });
  console.log(`${notebook}: ${cells.length} cells rendered in JupyterLab, ${cells.filter((c) => c.markdown).length} of them Markdown; screenshot ${screenshot}`);
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
