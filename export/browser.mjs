// Headless Chromium for the PDF and the site checks, found wherever this machine keeps it:
// $CHROMIUM if set, else Chromium, Chrome or Edge on the PATH or in their usual install folders
// (Linux, macOS, Windows). Playwright drives any of them; it downloads no browser of its own.
import { chromium } from "playwright-core";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

const ON_PATH = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge", "msedge", "chrome"];
const programs = [process.env.ProgramFiles, process.env["ProgramFiles(x86)"], process.env.LOCALAPPDATA].filter(Boolean);
const INSTALLED = {
  darwin: ["Google Chrome.app/Contents/MacOS/Google Chrome", "Chromium.app/Contents/MacOS/Chromium",
           "Microsoft Edge.app/Contents/MacOS/Microsoft Edge"].map((app) => join("/Applications", app)),
  win32: programs.flatMap((folder) => ["Google\\Chrome\\Application\\chrome.exe", "Chromium\\Application\\chrome.exe",
                                       "Microsoft\\Edge\\Application\\msedge.exe"].map((exe) => join(folder, exe))),
};

// Background networking, sync and QUIC off: the checks run offline, and a browser that keeps
// trying to reach its vendor's servers slows down or fails to start.
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync"];

function fail(message) {
  console.error(message);
  process.exit(2);
}

export function findChromium() {
  const chosen = process.env.CHROMIUM;
  if (chosen) {
    return existsSync(chosen) ? chosen : fail(`CHROMIUM names ${chosen}, which does not exist: point it at a Chromium, Chrome or Edge executable.`);
  }
  const suffix = process.platform === "win32" ? ".exe" : "";
  for (const folder of (process.env.PATH || "").split(delimiter).filter(Boolean)) {
    for (const name of ON_PATH) {
      if (existsSync(join(folder, name + suffix))) return join(folder, name + suffix);
    }
  }
  const installed = (INSTALLED[process.platform] || []).find((path) => existsSync(path));
  return installed || fail("No Chromium, Chrome or Edge found: install one (Debian: apt-get install chromium) or set CHROMIUM to its executable.");
}

export function launchBrowser() {
  return chromium.launch({ executablePath: findChromium(), args: ARGS });
}
