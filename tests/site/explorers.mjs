// The in-page explorers (lecture_utils/explorers.py): each slider must be reachable with the
// keyboard, and moving it must change the picture (compared pixel by pixel, as screenshots),
// the text that describes it, and the value read out for the slider.
export async function checkExplorers(page, fail) {
  const roots = await page.$$(".lx");
  for (const [n, root] of roots.entries()) {
    const name = `explorer ${n + 1}`;
    const missingAlt = await root.$$eval("img", (imgs) => imgs.filter((i) => !i.hasAttribute("alt")).length);
    if (missingAlt) fail(`${name}: ${missingAlt} image(s) without an alt attribute`);
    const described = await root.$$eval("img", (imgs) => imgs.length > 0 &&
      imgs.every((i) => (i.getAttribute("alt") || "").trim().split(/\s+/).length >= 5));
    if (!described) fail(`${name}: a picture without alt text that describes it`);
    const panels = await root.$(".lx-panels");
    for (const input of await root.$$('input[type="range"]')) {
      await input.scrollIntoViewIfNeeded();
      const state = () => root.evaluate((r, i) => ({
        value: i.value, valuetext: i.getAttribute("aria-valuetext"),
        text: [...r.querySelectorAll("img, .lx-status")].map((e) => e.alt || e.textContent).join(" | "),
      }), input);
      const before = await state();
      const picture = await panels.screenshot();
      await input.focus();
      const atMax = await input.evaluate((i) => i.value === i.max);
      await page.keyboard.press(atMax ? "ArrowLeft" : "ArrowRight");
      const after = await state();
      const param = (await input.getAttribute("data-param")) || "position";
      if (after.value === before.value) { fail(`${name}: the ${param} slider does not move with the arrow keys`); continue; }
      if (after.valuetext === before.valuetext) fail(`${name}: the ${param} slider's aria-valuetext did not change`);
      if (after.text === before.text) fail(`${name}: moving the ${param} slider did not change the alt text`);
      if (Buffer.compare(picture, await panels.screenshot()) === 0) fail(`${name}: moving the ${param} slider did not change the picture`);
      await page.keyboard.press(atMax ? "ArrowRight" : "ArrowLeft");
    }
  }
  return roots.length;
}
