// Drives the c2w viewer in headless Chromium through playwright-core:
// loads the page, plays, scrubs the timeline to 2 s like a person dragging
// it, and reports what the page shows as one JSON line; writes a screenshot.
// Usage: node viewer.mjs PLAYWRIGHT_DIR CHROMIUM URL SCREENSHOT
import { createRequire } from 'node:module';

const [dir, chromium, url, shot] = process.argv.slice(2);
const require = createRequire(`${dir}/`);
const { chromium: browserType } = require('playwright-core');
const profile = (await import('node:fs')).mkdtempSync('/tmp/c2w-chromium-');
const context = await browserType.launchPersistentContext(profile, {
  executablePath: chromium,
  headless: true,
  viewport: { width: 1280, height: 720 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
const out = { console: [] };
try {
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') out.console.push(m.text()); });
  page.on('pageerror', (e) => out.console.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.c2w && (window.c2w.ready || window.c2w.error), null, { timeout: 90000 });
  out.error = await page.evaluate(() => window.c2w.error);
  out.duration = await page.evaluate(() => window.c2w.duration);
  await page.click('#play');
  await page.waitForTimeout(1500);
  out.played = await page.evaluate(() => ({ playing: window.c2w.playing, time: window.c2w.time }));
  // Scrub: set the range input as a drag does and let the page react.
  await page.$eval('#scrub', (el) => {
    el.value = '2';
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.waitForTimeout(1000);
  out.time_label = await page.$eval('#time', (el) => el.dataset.time);
  out.time_text = await page.$eval('#time', (el) => el.textContent);
  out.title = await page.title();
  out.playing_after_scrub = await page.evaluate(() => window.c2w.playing);
  out.findings = await page.evaluate(() => window.c2w.findings);
  // How much the canvas varies: a blank (one colour) view has no spread.
  out.pixels = await page.evaluate(() => {
    const src = document.getElementById('view');
    const c = document.createElement('canvas');
    c.width = 160; c.height = 90;
    const g = c.getContext('2d');
    g.drawImage(src, 0, 0, 160, 90);
    const d = g.getImageData(0, 0, 160, 90).data;
    const first = [d[0], d[1], d[2]];
    let differ = 0, sum = 0, sum2 = 0;
    for (let i = 0; i < d.length; i += 4) {
      const l = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
      sum += l; sum2 += l * l;
      if (Math.abs(d[i] - first[0]) + Math.abs(d[i + 1] - first[1]) + Math.abs(d[i + 2] - first[2]) > 24) differ++;
    }
    const n = d.length / 4, mean = sum / n;
    return { std: Math.sqrt(Math.max(sum2 / n - mean * mean, 0)), differ: differ / n };
  });
  await page.screenshot({ path: shot });
} catch (e) {
  out.failure = String(e);
} finally {
  await context.close();
}
console.log(JSON.stringify(out));
